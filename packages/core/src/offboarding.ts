/**
 * Offboarding, the mechanics every engine shares (lifecycle.ts has the states and the guard):
 *
 * - Retiring (`state: retired`) renders a one-shot Job that takes the tenant's **final dump**
 *   with the engine's own per-tenant backup script (its `--tenant` mode), named
 *   `<tenant>-final-<UTC stamp>.<extension>` beside the nightly dumps. No retention removes
 *   it (the nightly retention counts `<tenant>-<stamp>` names only); it is kept until someone
 *   deletes it by hand, a purge included. The engine stops the login and the credential
 *   delivery, and closes the network path, in its own objects.
 * - Purging (`purge: true`, allowed `RETENTION_AFTER_RETIREMENT_DAYS` after `retiredOn`)
 *   renders a one-shot Job that runs the engine's purge (drop the database and the login,
 *   or delete the keys), then forgets the tenant's nightly-backup series at the Pushgateway
 *   (its dumps stop; no alert should wait for them).
 *
 * Both Jobs are named by a hash of what they do, so each runs once (Flux creates them only
 * when absent; the Argo CD wiring ignores their spec), and run in core's script-job pod.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { createHash } from 'node:crypto';
import type { PlatformModel, TenantModel } from './model.ts';
import type { AlertSpec } from './monitoring.ts';
import { PUSH_METRICS } from './backup.ts';
import { tenantState, type TenantState } from './lifecycle.ts';
import type { DocsOffboarding } from './engine.ts';
import { RUN_ONCE_LABEL } from './restore.ts';
import { scriptJobPod } from './script-job.ts';
import { RETENTION_AFTER_RETIREMENT_DAYS } from './schema.ts';

/** Whether the tenant is active: it logs in, gets its credentials and has a network path. */
export const isActive = (t: TenantModel): boolean => tenantState(t) === 'active';
/** Whether the tenant's data still exists (active or retired, not purged). */
export const hasData = (t: TenantModel): boolean => tenantState(t) !== 'purged';

/** The tag of a final dump's file name: `<tenant>-final-<UTC stamp>.<extension>`. */
export const FINAL_DUMP_TAG = 'final';
/** The label of the purge pods (network policy selects on it). */
export const PURGE_COMPONENT = 'purge';

/** The first day a purge of a tenant retired on `retiredOn` (YYYY-MM-DD) is allowed. */
export function purgeAllowedOn(retiredOn: string): string {
  const day = new Date(`${retiredOn}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + RETENTION_AFTER_RETIREMENT_DAYS);
  return day.toISOString().slice(0, 10);
}

/** `<kind>-<engine>-<tenant>-<hash of engine, tenant, retiredOn>`, the tenant cut to stay within 63 characters. */
export function offboardingJobName(kind: 'final-dump' | 'purge', engine: string, t: TenantModel): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([kind, engine, t.name, t.retiredOn ?? '']))
    .digest('hex')
    .slice(0, 8);
  const fixed = `${kind}-${engine}--${hash}`.length;
  return `${kind}-${engine}-${t.name.slice(0, 63 - fixed).replace(/-+$/, '')}-${hash}`;
}

/** What retiring and purging did in one engine, for its docs row (`offboardingDocs`). */
export interface OffboardingFacts {
  /** How access was revoked (retired). */
  readonly retired: string;
  /** What the purge deleted (purged). */
  readonly purged: string;
  /** What the purge Job does, after its name. */
  readonly purgeJob: string;
  /** Where the final dump is and which Job wrote it (`finalDumpDoc`), or why there is none. */
  readonly finalDump: string;
}

/** The docs rows of an engine's retired and purged tenants; the engine says what each step did there. */
export function offboardingDocs<T extends { readonly tenant: TenantModel; readonly state: TenantState }>(
  engine: string,
  namespace: string,
  tenants: readonly T[],
  facts: (t: T) => OffboardingFacts,
): DocsOffboarding[] {
  return tenants.flatMap((t) => {
    if (t.state === 'active') return [];
    const f = facts(t);
    return [
      {
        tenant: t.tenant.name,
        state: t.state,
        retiredOn: t.tenant.retiredOn ?? '',
        access: t.state === 'retired' ? f.retired : f.purged,
        finalDump: f.finalDump,
        purge:
          t.state === 'retired'
            ? `allowed from ${purgeAllowedOn(t.tenant.retiredOn ?? '')} (\`purge: true\`)`
            : `Job \`${namespace}/${offboardingJobName('purge', engine, t.tenant)}\` ${f.purgeJob}; then remove the tenant from the file`,
      },
    ];
  });
}

/** The final dump's docs text: its file pattern in the tenant's folder, and the Job that wrote it. */
export function finalDumpDoc(engine: string, namespace: string, t: TenantModel, folder: string, extension: string): string {
  return `\`${t.name}-${FINAL_DUMP_TAG}-*.${extension}\` in \`${folder}/${t.name}/\` (kept until deleted by hand), written by Job \`${namespace}/${offboardingJobName('final-dump', engine, t)}\``;
}

export interface PurgeScriptProps {
  /** Engine label: the engine's id. */
  readonly engine: string;
  /**
   * Bash function body that deletes the tenant's data and login for good. Reads
   * PURGE_TENANT, PURGE_DATABASE, PURGE_LOGIN (and what the engine's connection needs); must
   * succeed when they are already gone (a retried Job).
   */
  readonly purgeCommand: string;
}

/**
 * The purge script. Inputs: PURGE_TENANT, PURGE_DATABASE, PURGE_LOGIN, BACKUP_NAME,
 * PUSHGATEWAY_URL (may be empty), and what the engine's command reads.
 */
export function purgeScript(props: PurgeScriptProps): string {
  return `#!/bin/bash
# db-platform ${props.engine} purge of one retired tenant. Generated by @db/core (offboarding.ts); do not edit.
set -Eeuo pipefail
: "\${PURGE_TENANT:?}" "\${PURGE_DATABASE:?}" "\${PURGE_LOGIN:?}" "\${BACKUP_NAME:?}"
PUSHGATEWAY_URL=\${PUSHGATEWAY_URL:-}

${PUSH_METRICS}

purge() {
  ${props.purgeCommand}
}

started=$(date -u +%s)
report() {
  local now
  now=$(date -u +%s)
  push_metrics "db-purge/backup/$BACKUP_NAME/tenant/$PURGE_TENANT" "# TYPE db_purge_last_status gauge
db_purge_last_status{engine=\\"${props.engine}\\"} $1
# TYPE db_purge_last_run_timestamp_seconds gauge
db_purge_last_run_timestamp_seconds{engine=\\"${props.engine}\\"} $now
# TYPE db_purge_last_duration_seconds gauge
db_purge_last_duration_seconds{engine=\\"${props.engine}\\"} $((now - started))" || true
}
on_error() {
  local code=$?
  # A failure inside a command substitution is reported once, by the script itself.
  [ "$BASHPID" = "$$" ] || exit "$code"
  trap - ERR
  echo "purge of $PURGE_TENANT FAILED (exit $code)" >&2
  report 0
  exit "$code"
}
trap on_error ERR

echo "purge: tenant $PURGE_TENANT (${props.engine}): database $PURGE_DATABASE, login $PURGE_LOGIN"
purge
# Its nightly dumps and drills stop: forget their series, so no alert waits for them.
delete_metrics "db-backup/backup/$BACKUP_NAME/tenant/$PURGE_TENANT"
delete_metrics "db-restore-drill/backup/$BACKUP_NAME/tenant/$PURGE_TENANT"
echo "purge: done: tenant $PURGE_TENANT's data and login are gone (its dumps on NFS are kept)"
report 1
`;
}

export interface OffboardingJobsProps {
  readonly model: PlatformModel;
  /** The engine's id. */
  readonly engine: string;
  readonly namespace: string;
  /** Prefix of the purge script's ConfigMap: `<name>-purge-script`. */
  readonly name: string;
  readonly image: string;
  readonly runAsUser: number;
  /** The engine's backup folder's claim, and the name its dumps carry. */
  readonly backupClaim: string;
  readonly backupName: string;
  /** The tenants of this engine that are not active, each with its database and login. */
  readonly tenants: readonly { readonly tenant: TenantModel; readonly database: string; readonly login: string }[];
  /**
   * The final dump: the ConfigMap (and key) of the engine's per-tenant backup script, the
   * labels of its backup pods (so the backup's network policy applies) and the backup's
   * environment (connection and credentials). Omitted: the engine takes no per-tenant dumps.
   */
  readonly finalDump?: { readonly scriptMap: string; readonly scriptKey: string; readonly labels: Readonly<Record<string, string>>; readonly env: readonly k8s.EnvVar[] };
  readonly purge: { readonly script: string; readonly labels: Readonly<Record<string, string>>; readonly env: readonly k8s.EnvVar[] };
}

/** A final-dump Job per retired tenant, a purge Job (and the purge script's ConfigMap) per purged one. */
export class OffboardingJobs extends Construct {
  constructor(scope: Construct, id: string, props: OffboardingJobsProps) {
    super(scope, id);
    const retired = props.tenants.filter((t) => tenantState(t.tenant) === 'retired');
    const purged = props.tenants.filter((t) => tenantState(t.tenant) === 'purged');
    const job = (name: string, tenant: TenantModel, labels: Readonly<Record<string, string>>, annotations: Record<string, string>, pod: k8s.PodSpec) => {
      const all = { ...labels, [RUN_ONCE_LABEL]: 'true', 'db-platform.io/tenant': tenant.name };
      new k8s.KubeJob(this, name, {
        metadata: { name, namespace: props.namespace, labels: all, annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent', ...annotations } },
        spec: { backoffLimit: 2, activeDeadlineSeconds: 6 * 3600, template: { metadata: { labels: all }, spec: pod } },
      });
    };
    const fd = props.finalDump;
    if (fd)
      for (const t of retired)
        job(
          offboardingJobName('final-dump', props.engine, t.tenant),
          t.tenant,
          fd.labels,
          { 'db-platform.io/final-dump': `${t.tenant.name}/${t.tenant.name}-${FINAL_DUMP_TAG}-<UTC stamp>`, 'db-platform.io/retired-on': t.tenant.retiredOn ?? '' },
          scriptJobPod({
            model: props.model,
            name: 'final-dump',
            image: props.image,
            runAsUser: props.runAsUser,
            scriptMap: fd.scriptMap,
            scriptKey: fd.scriptKey,
            args: ['--tenant'],
            backupClaim: props.backupClaim,
            backupReadOnly: false,
            env: [
              { name: 'BACKUP_DIR', value: '/backup' },
              { name: 'BACKUP_NAME', value: props.backupName },
              { name: 'BACKUP_TENANT', value: t.tenant.name },
              { name: 'BACKUP_DATABASE', value: t.database },
              { name: 'BACKUP_KEEP', value: '1' },
              { name: 'BACKUP_TAG', value: FINAL_DUMP_TAG },
              { name: 'PUSHGATEWAY_URL', value: props.model.monitoring.pushgateway },
              { name: 'HOME', value: '/tmp' },
              ...fd.env,
            ],
          }),
        );
    if (purged.length === 0) return;
    const scriptMap = `${props.name}-purge-script`;
    new k8s.KubeConfigMap(this, 'PurgeScript', {
      metadata: { name: scriptMap, namespace: props.namespace, labels: { ...props.purge.labels } },
      data: { 'purge.sh': props.purge.script },
    });
    for (const t of purged)
      job(
        offboardingJobName('purge', props.engine, t.tenant),
        t.tenant,
        props.purge.labels,
        { 'db-platform.io/retired-on': t.tenant.retiredOn ?? '' },
        scriptJobPod({
          model: props.model,
          name: 'purge',
          image: props.image,
          runAsUser: props.runAsUser,
          scriptMap,
          scriptKey: 'purge.sh',
          env: [
            { name: 'BACKUP_NAME', value: props.backupName },
            { name: 'PURGE_TENANT', value: t.tenant.name },
            { name: 'PURGE_DATABASE', value: t.database },
            { name: 'PURGE_LOGIN', value: t.login },
            { name: 'PUSHGATEWAY_URL', value: props.model.monitoring.pushgateway },
            { name: 'HOME', value: '/tmp' },
            ...props.purge.env,
          ],
        }),
      );
  }
}

export interface TenantRecordProps {
  readonly namespace: string;
  /** Prefix of the ConfigMaps: `<name>-tenant-<tenant>`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Each tenant of the engine with what the engine made for it (database, login, prefixes...). */
  readonly tenants: readonly { readonly tenant: TenantModel; readonly facts: Readonly<Record<string, string>> }[];
}

/**
 * One ConfigMap per tenant of an engine whose tenants otherwise live only inside shared
 * objects (a provisioning script, an ACL file): it carries the tenant's label and state, so
 * the committed output tells a render that the tenant exists (lifecycle.ts refuses its
 * removal before a purge), and says in the cluster what was made for it and how far its
 * offboarding got.
 */
export class TenantRecords extends Construct {
  constructor(scope: Construct, id: string, props: TenantRecordProps) {
    super(scope, id);
    for (const { tenant, facts } of props.tenants) {
      const state = tenantState(tenant);
      new k8s.KubeConfigMap(this, tenant.name, {
        metadata: { name: `${props.name}-tenant-${tenant.name}`, namespace: props.namespace, labels: { ...props.labels, 'db-platform.io/tenant': tenant.name } },
        data: {
          tenant: tenant.name,
          namespace: tenant.namespace,
          state,
          ...facts,
          ...(tenant.retiredOn ? { retiredOn: tenant.retiredOn, purgeAllowedOn: purgeAllowedOn(tenant.retiredOn) } : {}),
        },
      });
    }
  }
}

/**
 * The alerts of offboarding: `<Prefix>FinalDumpFailed` (a retired tenant's final dump reported
 * failure: its retirement has no dump to fall back on) and `<Prefix>PurgeFailed` (a purge
 * reported failure: its data may be partly deleted, or still there), each by `tenant`.
 */
export function offboardingAlerts(props: { readonly prefix: string; readonly title: string; readonly backupName: string; readonly namespace: string; readonly finalDump: boolean }): AlertSpec[] {
  return [
    ...(props.finalDump
      ? [
          {
            alert: `${props.prefix}FinalDumpFailed`,
            expr: `max by (tenant) (db_backup_last_status{job="db-backup", backup="${props.backupName}-${FINAL_DUMP_TAG}"}) == 0`,
            severity: 'warning' as const,
            summary: `The final ${props.title} dump of a retired tenant failed`,
            description: `The final dump of retired tenant {{ $labels.tenant }} (Job ${props.namespace}/final-dump-*-{{ $labels.tenant }}-*) failed: its retirement has no final dump yet. Its data is still there and its nightly dumps go on; do not purge it before a final dump succeeded.`,
          },
        ]
      : []),
    {
      alert: `${props.prefix}PurgeFailed`,
      expr: `max by (tenant) (db_purge_last_status{job="db-purge", backup="${props.backupName}"}) == 0`,
      severity: 'warning',
      summary: `The ${props.title} purge of a tenant failed`,
      description: `The purge of tenant {{ $labels.tenant }} (Job ${props.namespace}/purge-*-{{ $labels.tenant }}-*) failed: its data may be partly deleted or still there. Do not remove the tenant from platform.yaml until a purge succeeded.`,
    },
  ];
}
