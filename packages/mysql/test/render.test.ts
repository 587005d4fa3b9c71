/** Targeted assertions on what the engine renders and refuses. */
import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import { CORE_RULES, runGuardrails, type K8sObject, type PlatformModel } from '@db/core';
import { checkMysql } from '../src/checks.ts';
import { mysqlEngine } from '../src/engine.ts';
import { resolveMysql } from '../src/model.ts';
import { mycnfSizing } from '../src/my-cnf.ts';
import { provisioningSql } from '../src/provisioning.ts';
import { BASE, clusterModel, modelOf } from './helpers.ts';

function render(model: PlatformModel): K8sObject[] {
  const chart = Testing.chart();
  mysqlEngine.build(chart, model);
  return Testing.synth(chart) as K8sObject[];
}
const find = (objs: K8sObject[], kind: string, name?: string) => objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

describe('standalone (prod)', () => {
  const model = clusterModel('prod');
  const objs = render(model);
  const sts = find(objs, 'StatefulSet', 'mysql')!;
  const pod = sts.spec.template;
  const mysql = pod.spec.containers.find((c: any) => c.name === 'mysql');

  it('runs MySQL 8.4.4 with 2Gi request / 3Gi limit on block storage, off the GPU node', () => {
    expect(mysql.image).toBe('docker.io/library/mysql:8.4.4');
    expect(mysql.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '3Gi' } });
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('proxmox-lvm');
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toEqual({
      key: 'kubernetes.io/hostname',
      operator: 'NotIn',
      values: ['k8s-node1'],
    });
    expect(find(objs, 'Service', 'mysql')!.metadata.namespace).toBe('dbaas');
  });

  it('is restricted, probed, pinned, and rolls on a my.cnf change', () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
    for (const c of pod.spec.containers) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.livenessProbe).toBeDefined();
      expect(c.readinessProbe).toBeDefined();
      expect(c.livenessProbe).not.toEqual(c.readinessProbe);
      expect(c.resources.limits.memory).toBeDefined();
    }
    expect(pod.metadata.labels['keel.sh/policy']).toBe('never');
    expect(pod.metadata.annotations['diun.enable']).toBe('false');
    expect(pod.metadata.annotations['db-platform.io/config-sha256']).toMatch(/^[0-9a-f]{16}$/);
    const cnf = find(objs, 'ConfigMap', 'mysql-config')!.data['platform.cnf'];
    expect(cnf).toContain('innodb_buffer_pool_size = 1536M');
  });

  it('takes no password from the repository', () => {
    const exporter = pod.spec.containers.find((c: any) => c.name === 'exporter');
    expect(exporter.image).toBe('docker.io/prom/mysqld-exporter:v0.17.2');
    expect(exporter.env).toEqual([{ name: 'MYSQLD_EXPORTER_PASSWORD', valueFrom: { secretKeyRef: { name: 'mysql-exporter', key: 'password' } } }]);
    expect(objs.some((o) => o.kind === 'Secret')).toBe(false);
    expect(JSON.stringify(objs)).not.toMatch(/IDENTIFIED BY '(?!@[A-Z_]+@')/);
  });

  it('lets tenants reach 3306 only from their own namespaces', () => {
    const np = find(objs, 'NetworkPolicy', 'mysql')!;
    const from = np.spec.ingress[0].from.filter((p: any) => p.namespaceSelector).map((p: any) => p.namespaceSelector.matchLabels['kubernetes.io/metadata.name']);
    expect(from).toEqual(['codimd', 'monitoring', 'nextcloud', 'realestate-crawler', 'shlink', 'speedtest', 'technitium']);
    expect(np.spec.ingress[0].ports).toEqual([{ port: 3306, protocol: 'TCP' }]);
  });

  it('provisions every MySQL tenant of the seeds with one Job per change: named by a hash of its spec, no Argo CD hook (hooks re-run on every sync), no TTL (Flux would re-create it)', () => {
    const job = find(objs, 'Job')!;
    expect(job.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
    const tenants = 'tenants:\n  - { name: a, mysql: { database: a } }\n';
    const same = render(modelOf(`${BASE}mysql: { topology: standalone }\n${tenants}`));
    const renamed = render(modelOf(`${BASE}mysql: { topology: standalone, name: mysql2 }\n${tenants}`));
    const mirrored = render(modelOf(`${BASE}imageRegistry: registry.lan:5000\nmysql: { topology: standalone }\n${tenants}`));
    // Another template (here its host): another name, since a Job's template is immutable.
    expect(find(renamed, 'Job')!.spec.template).not.toEqual(find(same, 'Job')!.spec.template);
    expect(find(renamed, 'Job')!.metadata.name).not.toBe(find(same, 'Job')!.metadata.name);
    // The same image from a mirror is the same Job (Helm's global.imageRegistry keeps its name).
    expect(find(mirrored, 'Job')!.metadata.name).toBe(find(same, 'Job')!.metadata.name);
    const sql = find(objs, 'ConfigMap', 'mysql-provisioning')!.data['provision.sql'];
    for (const t of ['wrongmove', 'speedtest', 'codimd', 'nextcloud', 'shlink', 'grafana', 'technitium']) {
      expect(sql).toContain(`CREATE DATABASE IF NOT EXISTS \`${t}\``);
      expect(sql).toContain(`GRANT ALL PRIVILEGES ON \`${t}\`.* TO '${t}'@'%';`);
    }
    expect(sql).not.toMatch(/\bDROP\b/i);
  });

  it('backs up daily with one mysqldump --single-transaction per tenant database, keeping 7 of each', () => {
    const cron = find(objs, 'CronJob', 'mysql-backup')!;
    expect(cron.spec.schedule).toBe('30 2 * * *');
    const script = find(objs, 'ConfigMap', 'mysql-backup-script')!.data['backup.sh'];
    expect(script).toContain('mysqldump --defaults-extra-file="$cnf" --single-transaction');
    expect(script).not.toContain('--databases');
    expect(script).toMatch(/^ {2}'\S+' '\S+' 7( \\)?$/m);
  });
});

describe('InnoDB Cluster', () => {
  const model = modelOf(`${BASE}
mysql: { topology: innodb-cluster, instances: 3 }
tenants: [{ name: app, mysql: { database: app } }]
`);
  const objs = render(model);
  const ic = find(objs, 'InnoDBCluster')!;

  it('renders 3 members with router, required anti-affinity, off the GPU node, block storage', () => {
    expect(ic.spec.instances).toBe(3);
    expect(ic.spec.router.instances).toBe(2);
    expect(ic.spec.version).toBe('8.4.4');
    expect(ic.spec.datadirVolumeClaimTemplate.storageClassName).toBe('lvm');
    expect(ic.spec.podSpec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    const report = runGuardrails([...CORE_RULES, ...mysqlEngine.rules], { model, objects: objs.map((object) => ({ component: 'mysql', object })), facts: mysqlEngine.resources ?? {} });
    expect(report.errors).toEqual([]);
  });

  it('is refused with a soft anti-affinity or on the GPU node', () => {
    const bad = structuredClone(ic);
    bad.spec.podSpec.affinity = {};
    const report = runGuardrails([...CORE_RULES, ...mysqlEngine.rules], { model, objects: [{ component: 'mysql', object: bad }], facts: mysqlEngine.resources ?? {} });
    expect(report.errors.map((e) => e.message).join('\n')).toMatch(/mysql-soft-anti-affinity[\s\S]*|database-on-gpu-node/);
    expect(report.errors).toHaveLength(2);
  });

  it('is what the lab cluster renders', () => {
    const lab = render(clusterModel('lab'));
    expect(find(lab, 'InnoDBCluster')!.spec.imageRepository).toBe('registry.lab.internal:5000/mysql');
  });
});

describe('checks', () => {
  const problems = (yaml: string) => checkMysql(modelOf(`${BASE}${yaml}`)).map((p) => `${p.field}: ${p.message}`);

  it('refuses a tenant on MySQL without a mysql section', () => {
    expect(problems('tenants: [{ name: a, mysql: { database: a } }]')).toEqual(['tenants[0].mysql: uses MySQL, but the desired state has no mysql section']);
  });
  it('refuses duplicate databases and users, and reserved names', () => {
    const p = problems(`mysql: {}
tenants:
  - { name: a, mysql: { database: shared } }
  - { name: b, mysql: { database: shared } }
  - { name: c, mysql: { database: c, user: a_user } }
  - { name: d, mysql: { database: d, user: a_user } }
  - { name: e, mysql: { database: mysql } }
  - { name: f, mysql: { database: f, user: root } }
  - { name: g, mysql: { database: g, user: db_backup } }`);
    expect(p).toEqual(
      expect.arrayContaining([
        'tenants[1].mysql.database: database "shared" is already used by tenant a',
        'tenants[1].mysql.database: user "shared" is already used by tenant a',
        'tenants[3].mysql.user: user "a_user" is already used by tenant c',
        'tenants[4].mysql.database: "mysql" is reserved by MySQL or db-platform',
        'tenants[5].mysql.user: user "root" is reserved by MySQL or db-platform',
        'tenants[6].mysql.user: user "db_backup" is reserved by MySQL or db-platform',
      ]),
    );
  });
  it('refuses an even InnoDB Cluster and standalone-only fields', () => {
    expect(problems('mysql: { topology: innodb-cluster, instances: 4 }\ntenants: []')[0]).toMatch(/^mysql.instances: 4 Group Replication members/);
    expect(problems('mysql: { instances: 3 }\ntenants: []')[0]).toMatch(/^mysql.instances: instances applies only to topology: innodb-cluster/);
  });
  it('refuses identifiers that are not plain SQL names at input', () => {
    expect(() => modelOf(`${BASE}mysql: {}\ntenants: [{ name: a, mysql: { database: "x\`; DROP DATABASE y; --" } }]`)).toThrow(/mysql.database/);
  });
});

describe('sizing and SQL', () => {
  it('sizes the buffer pool at half the memory limit, on the 128 MiB grid', () => {
    expect(mycnfSizing(resolveMysql(modelOf(`${BASE}mysql: { resources: { memoryLimit: 3Gi } }\ntenants: []`)))).toEqual({ bufferPoolMiB: 1536, redoLogMiB: 384 });
    expect(mycnfSizing(resolveMysql(modelOf(`${BASE}mysql: { resources: { memory: 1Gi, memoryLimit: 1100Mi } }\ntenants: []`))).bufferPoolMiB).toBe(512);
  });
  it('escapes the GRANT wildcard in database names', () => {
    const model = modelOf(`${BASE}mysql: {}\ntenants: [{ name: t, mysql: { database: trading_bot } }]`);
    expect(provisioningSql(resolveMysql(model), 'test')).toContain("GRANT ALL PRIVILEGES ON `trading\\_bot`.* TO 'trading_bot'@'%';");
  });
});
