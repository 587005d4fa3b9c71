/**
 * One CNPG Database per tenant, owned by the tenant's role; never dropped by a sync. A purged
 * tenant's Database says `ensure: absent`: CNPG then drops the database (CNPG 1.30
 * database_controller.go:299-301, dropDatabase in database_controller_sql.go:227-244).
 */
import { Construct } from 'constructs';
import { kebab } from '@db/core';
import { Database, DatabaseSpecDatabaseReclaimPolicy, DatabaseSpecEnsure, DatabaseSpecExtensionsEnsure } from './imports/postgresql.cnpg.io.ts';
import type { PostgresModel } from './model.ts';
import { clusterLabels } from './labels.ts';

export class PostgresTenantDatabases extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel }) {
    super(scope, id);
    const { pg } = props;
    for (const t of pg.tenants) {
      new Database(this, t.database, {
        metadata: {
          name: `${pg.name}-${kebab(t.database)}`,
          namespace: pg.namespace,
          labels: { ...clusterLabels(pg, 'tenant-database'), 'db-platform.io/tenant': t.tenant.name },
        },
        spec: {
          cluster: { name: pg.name },
          name: t.database,
          owner: t.role,
          ensure: t.state === 'purged' ? DatabaseSpecEnsure.ABSENT : DatabaseSpecEnsure.PRESENT,
          // Deleting the Database object (or the tenant) must never drop the data.
          databaseReclaimPolicy: DatabaseSpecDatabaseReclaimPolicy.RETAIN,
          ...(t.extensions.length > 0 ? { extensions: t.extensions.map((name) => ({ name, ensure: DatabaseSpecExtensionsEnsure.PRESENT })) } : {}),
        },
      });
    }
  }
}
