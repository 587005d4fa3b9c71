import type { Engine } from '@db/core';
import { cloudnativePgOperator } from './operator.ts';
import { CNPG_OPERATOR_NAMESPACE, cnpgNamespace, POSTGRES_PATTERN_HINTS, PostgresSpec, TenantPostgres } from './schema.ts';
import { checkPostgres } from './checks.ts';
import { resolvePostgres } from './model.ts';
import { PostgresCluster } from './cluster.ts';
import { PostgresPooler } from './pooler.ts';
import { PostgresTenantDatabases } from './tenants.ts';
import { PostgresMonitoring, postgresAlerts } from './monitoring.ts';
import { PostgresBackup } from './backup.ts';
import { PostgresNetwork } from './network.ts';
import { PostgresRestores } from './restore.ts';
import { PostgresDrill } from './drill.ts';
import { PostgresOffboarding } from './offboarding.ts';
import { POSTGRES_RULES } from './rules.ts';
import { postgresCredentials } from './credentials.ts';
import { postgresGeneratedSecrets } from './secrets.ts';
import { postgresDocs } from './docs.ts';
import { postgresDashboard } from './dashboard.ts';

export const postgresEngine: Engine = {
  id: 'postgres',
  description: 'PostgreSQL on CloudNativePG with PgBouncer',
  schema: { section: PostgresSpec, tenant: TenantPostgres, operatorNamespace: CNPG_OPERATOR_NAMESPACE, patternHints: POSTGRES_PATTERN_HINTS },
  resources: {
    // CloudNativePG deletes a Cluster's claims with the Cluster (its owner references), so helm uninstall keeps it.
    keepOnUninstall: [{ group: 'postgresql.cnpg.io', kind: 'Cluster' }],
    // CNPG sets Ready on the Cluster once the primary accepts connections; Flux waits for it (kstatus alone would not).
    readyCondition: [{ group: 'postgresql.cnpg.io', kind: 'Cluster' }],
    // Cluster.spec.imageName (the operand image) is an image reference the chart's registry override rewrites.
    imageKeys: ['imageName'],
    // PgBouncer pods serve data (the Deployment-free Pooler and any labelled pooler workload).
    dataComponents: ['pooler'],
    // How CNPG 1.28 builds pods from our resources (operator-contract.ts): a Cluster's instances
    // take spec.affinity and spec.inheritedMetadata, keep their data on spec.storage and
    // spec.walStorage and run spec.imageName; a Pooler's pods come from spec.template.
    kinds: [
      {
        group: 'postgresql.cnpg.io',
        kind: 'Cluster',
        dataPods: true,
        nodeAffinity: (o) => o.spec?.affinity?.nodeAffinity,
        podMetadata: (o) => o.spec?.inheritedMetadata,
        dataStorageClasses: (o) => [o.spec?.storage?.storageClass, o.spec?.walStorage?.storageClass].filter((c): c is string => typeof c === 'string' && c !== ''),
        images: (o) => (o.spec?.imageName ? [o.spec.imageName] : []),
      },
      {
        group: 'postgresql.cnpg.io',
        kind: 'Pooler',
        dataPods: true,
        nodeAffinity: (o) => o.spec?.template?.spec?.affinity?.nodeAffinity,
        podMetadata: (o) => o.spec?.template?.metadata,
      },
    ],
  },
  restorable: true,
  enabled: (model) => model.input.postgres !== undefined,
  check: checkPostgres,
  namespaces: (model) => [{ name: resolvePostgres(model).namespace, podSecurity: 'restricted' }],
  build(scope, model) {
    const pg = resolvePostgres(model);
    new PostgresCluster(scope, 'Cluster', { pg, model });
    new PostgresPooler(scope, 'Pooler', { pg, model });
    new PostgresTenantDatabases(scope, 'Tenants', { pg });
    new PostgresMonitoring(scope, 'Monitoring', { pg, model });
    new PostgresBackup(scope, 'Backup', { pg, model });
    new PostgresRestores(scope, 'Restores', { pg, model });
    new PostgresDrill(scope, 'Drill', { pg, model });
    new PostgresOffboarding(scope, 'Offboarding', { pg, model });
    new PostgresNetwork(scope, 'Network', { pg, model });
  },
  rules: POSTGRES_RULES,
  alerts: (model) => postgresAlerts(resolvePostgres(model)),
  // Installed where the instances' network policy expects it.
  operators: (model) => [cloudnativePgOperator(cnpgNamespace(model))],
  credentials: postgresCredentials,
  generatedSecrets: postgresGeneratedSecrets,
  docs: (model) => postgresDocs(resolvePostgres(model), model),
  dashboard: (model) => postgresDashboard(resolvePostgres(model), model),
};
