/**
 * MySQL's own passwords, generated in the cluster (see @db/core GeneratedSecret): root in the
 * keys the server reads (standalone: `password`; InnoDB Cluster: `rootUser`, `rootHost`,
 * `rootPassword`, what the MySQL Operator reads, operator-contract.ts), the exporter's and the
 * backup user's, which the provisioning Job applies.
 */
import type { GeneratedSecret, PlatformModel } from '@db/core';
import { resolveMysql } from './model.ts';
import { ROOT_SECRET_KEYS } from './operator-contract.ts';

export function mysqlGeneratedSecrets(model: PlatformModel): GeneratedSecret[] {
  const my = resolveMysql(model);
  const root: Record<string, string> =
    my.rootPasswordKey === ROOT_SECRET_KEYS.password
      ? { [ROOT_SECRET_KEYS.user]: 'root', [ROOT_SECRET_KEYS.host]: '%', [ROOT_SECRET_KEYS.password]: '{{ .password }}' }
      : { password: '{{ .password }}' };
  return [
    { namespace: my.namespace, name: my.secrets.root, purpose: 'MySQL root: the server sets it at first start; the provisioning Job logs in with it', template: root },
    { namespace: my.namespace, name: my.secrets.exporter, purpose: `MySQL user ${my.users.exporter}: mysqld_exporter (set by the provisioning Job)` },
    { namespace: my.namespace, name: my.secrets.backup, purpose: `MySQL user ${my.users.backup}: the read-only backup job (set by the provisioning Job)` },
  ];
}
