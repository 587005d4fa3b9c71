import type { Engine } from '@db/core';
import { mysqlOperator } from './operator.ts';
import { MysqlSpec, TenantMysql } from './schema.ts';
import { checkMysql } from './checks.ts';
import { resolveMysql } from './model.ts';
import { MysqlStandalone } from './standalone.ts';
import { MysqlInnoDbCluster } from './innodb-cluster.ts';
import { MysqlProvisioning } from './provision-job.ts';
import { MysqlMonitoring, mysqlAlerts } from './monitoring.ts';
import { MysqlBackup } from './backup.ts';
import { MysqlNetwork } from './network.ts';
import { MysqlRestores } from './restore.ts';
import { MysqlDrill } from './drill.ts';
import { MysqlOffboarding } from './offboarding.ts';
import { MYSQL_RULES } from './rules.ts';
import { mysqlCredentials } from './credentials.ts';
import { mysqlGeneratedSecrets } from './secrets.ts';
import { mysqlDocs } from './docs.ts';
import { mysqlDashboard } from './dashboard.ts';

export const mysqlEngine: Engine = {
  id: 'mysql',
  description: 'MySQL, standalone or InnoDB Cluster',
  schema: { section: MysqlSpec, tenant: TenantMysql },
  resources: {
    // The MySQL Operator's InnoDBCluster owns its StatefulSet and claims: helm uninstall keeps it.
    keepOnUninstall: [{ group: 'mysql.oracle.com', kind: 'InnoDBCluster' }],
    // InnoDBCluster.spec.imageRepository names the registry of the server and router images.
    imageKeys: ['imageRepository'],
    // MySQL Router pods serve data.
    dataComponents: ['proxy'],
    // How mysql-operator 8.4.3-2.1.5 builds pods from an InnoDBCluster (operator-contract.ts): the
    // server pods take spec.podSpec (affinity) and spec.podLabels/podAnnotations, and keep their
    // data on spec.datadirVolumeClaimTemplate.
    kinds: [
      {
        group: 'mysql.oracle.com',
        kind: 'InnoDBCluster',
        dataPods: true,
        nodeAffinity: (o) => o.spec?.podSpec?.affinity?.nodeAffinity,
        podMetadata: (o) => (o.spec?.podAnnotations || o.spec?.podLabels ? { labels: o.spec?.podLabels, annotations: o.spec?.podAnnotations } : undefined),
        dataStorageClasses: (o) => (o.spec?.datadirVolumeClaimTemplate?.storageClassName ? [o.spec.datadirVolumeClaimTemplate.storageClassName] : []),
      },
    ],
  },
  restorable: true,
  enabled: (model) => model.input.mysql !== undefined,
  check: checkMysql,
  // The MySQL Operator's pods are not ours to harden; its namespace enforces `baseline`.
  namespaces: (model) => {
    const my = resolveMysql(model);
    return [{ name: my.namespace, podSecurity: my.topology === 'standalone' ? 'restricted' : 'baseline' }];
  },
  build(scope, model) {
    const my = resolveMysql(model);
    if (my.topology === 'standalone') new MysqlStandalone(scope, 'Standalone', { my, model });
    else new MysqlInnoDbCluster(scope, 'InnoDbCluster', { my, model });
    new MysqlProvisioning(scope, 'Provisioning', { my, model });
    new MysqlMonitoring(scope, 'Monitoring', { my, model });
    new MysqlBackup(scope, 'Backup', { my, model });
    new MysqlRestores(scope, 'Restores', { my, model });
    new MysqlDrill(scope, 'Drill', { my, model });
    new MysqlOffboarding(scope, 'Offboarding', { my, model });
    new MysqlNetwork(scope, 'Network', { my, model });
  },
  rules: MYSQL_RULES,
  alerts: (model) => mysqlAlerts(resolveMysql(model)),
  operators: (model) => {
    const my = resolveMysql(model);
    return my.topology === 'innodb-cluster' ? [mysqlOperator(my.operatorNamespace)] : [];
  },
  credentials: mysqlCredentials,
  generatedSecrets: mysqlGeneratedSecrets,
  docs: (model) => mysqlDocs(resolveMysql(model), model),
  dashboard: (model) => mysqlDashboard(resolveMysql(model)),
};
