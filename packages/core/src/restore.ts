/**
 * Restore is a reviewed change: a `restores:` entry in platform.yaml renders a one-shot Job
 * (its name carries a hash of the entry, so it runs once per entry; the pull request adding
 * the entry is the approval gate) that restores one tenant's dump, or lists the dumps of a
 * tenant (`action: list`). Shared by the engines: the entry's schema and checks, the script
 * (the engine supplies how to count, create, restore and count rows) and the Job.
 *
 * The restore refuses a target database that holds anything unless the entry says
 * `replace: true` (and then changes nothing), checks every table's rows against the dump's
 * manifest after the restore, and reports what it restored in its log and to the Pushgateway
 * (grouping key job=db-restore, backup=<name>, tenant=<tenant>).
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { createHash } from 'node:crypto';
import type { PlatformModel } from './model.ts';
import type { Problem } from './problems.ts';
import type { RestoreInput } from './schema.ts';
import { PUSH_METRICS, shq } from './backup.ts';
import { scriptJobPod } from './script-job.ts';
import { tenantState } from './lifecycle.ts';

export interface RestoreModel {
  readonly index: number;
  readonly engine: string;
  readonly tenant: string;
  readonly action: 'restore' | 'list';
  readonly dump: string;
  readonly into: string | undefined;
  readonly replace: boolean;
  readonly reason: string | undefined;
  /** Hash of the entry as resolved: the Job's name carries it, so each entry runs once. */
  readonly hash: string;
}

export function resolveRestores(input: readonly RestoreInput[] | undefined): RestoreModel[] {
  return (input ?? []).map((r, index) => {
    const resolved = { engine: r.engine, tenant: r.tenant, action: r.action ?? 'restore', dump: r.dump ?? 'latest', into: r.into, replace: r.replace ?? false, reason: r.reason };
    const hash = createHash('sha256').update(JSON.stringify(resolved)).digest('hex').slice(0, 8);
    return { index, ...resolved, hash };
  });
}

/** The Job's name: `<action>-<engine>-<tenant>-<hash>`, the tenant cut to stay within 63 characters. */
export function restoreJobName(r: RestoreModel): string {
  const fixed = `${r.action}-${r.engine}--${r.hash}`.length;
  const tenant = r.tenant.slice(0, 63 - fixed).replace(/-+$/, '');
  return `${r.action}-${r.engine}-${tenant}-${r.hash}`;
}

/**
 * The checks of the `restores:` entries: the engine restores here, the tenant exists and
 * uses it, a named dump is the tenant's, `into` is no other tenant's database, and a listing
 * says nothing of a restore. `restorable`: ids of the enabled engines that render restores.
 */
export function checkRestores(model: PlatformModel, restorable: readonly string[]): Problem[] {
  const { source } = model;
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  for (const r of model.restores) {
    const at = ['restores', r.index];
    if (!restorable.includes(r.engine)) {
      problems.push(
        source.problem(
          [...at, 'engine'],
          `no engine "${r.engine}" restores dumps in this cluster`,
          restorable.length > 0 ? `use one of: ${restorable.join(', ')}` : 'no engine of this cluster takes per-tenant dumps',
        ),
      );
      continue;
    }
    const tenant = model.tenants.find((t) => t.name === r.tenant);
    if (!tenant) {
      problems.push(source.problem([...at, 'tenant'], `no tenant "${r.tenant}" in tenants`, 'name a tenant of this platform.yaml (a retired tenant still counts)'));
      continue;
    }
    if (tenantState(tenant) === 'purged') {
      problems.push(source.problem([...at, 'tenant'], `tenant "${r.tenant}" is purged: its database and login are deleted`, 'its dumps stay on NFS (README, "Retiring an app"); remove the entry'));
      continue;
    }
    if (tenant[r.engine] === undefined) {
      const uses = restorable.filter((e) => tenant[e] !== undefined);
      problems.push(source.problem([...at, 'engine'], `tenant "${r.tenant}" does not use ${r.engine}`, uses.length > 0 ? `it uses ${uses.join(', ')}` : 'it has no dumps of any engine that restores'));
      continue;
    }
    if (r.dump !== 'latest' && !r.dump.startsWith(`${r.tenant}-`))
      problems.push(
        source.problem([...at, 'dump'], `"${r.dump}" is not a dump of tenant "${r.tenant}"`, `its dumps are named ${r.tenant}-<UTC stamp>.<extension>; an entry with action: list shows them`),
      );
    if (r.into !== undefined) {
      const owner = model.tenants.find((t) => t.name !== r.tenant && (t[r.engine] as { database?: string } | undefined)?.database === r.into);
      if (owner) problems.push(source.problem([...at, 'into'], `database "${r.into}" belongs to tenant "${owner.name}"`, 'restore into the tenant’s own database or a new one'));
    }
    if (r.action === 'list')
      for (const field of ['dump', 'into', 'replace'] as const)
        if ((model.input.restores as RestoreInput[])[r.index]![field] !== undefined)
          problems.push(source.problem([...at, field], `a listing restores nothing: ${field} does not apply`, 'remove it, or remove action: list'));
    const key = `${r.engine}/${r.hash}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(source.problem(at, `the same entry as restores[${first}]`, 'an entry runs once; remove one of the two'));
    else seen.set(key, r.index);
  }
  return problems;
}

export interface RestoreScriptProps {
  /** Engine label of the metrics: the engine's id. */
  readonly engine: string;
  /** File extension of a tenant's archive, as the backup writes it. */
  readonly extension: string;
  /** Bash defined before the functions (helpers they share); must not need the connection's environment, which a listing lacks. */
  readonly prelude?: string;
  /** Bash function body: prints the number of objects database `$1` holds (0 when it does not exist). */
  readonly targetObjects: string;
  /** Bash function body: creates database `$1` when it does not exist. */
  readonly createTarget: string;
  /** Bash function body: restores the gzipped archive `$1` into database `$2`; `$3` is `true` to replace what is there. */
  readonly restoreArchive: string;
  /** Bash function body: prints the rows of table `$2` (as the manifest names it) in database `$1`. */
  readonly countRows: string;
}

/**
 * The restore script. Inputs: BACKUP_DIR (the engine's backup folder), BACKUP_NAME,
 * RESTORE_ACTION (`restore` or `list`), RESTORE_TENANT, RESTORE_DATABASE (the tenant's own),
 * RESTORE_DUMP, RESTORE_INTO, RESTORE_REPLACE, RESTORE_ENTRY (the entry's hash),
 * PUSHGATEWAY_URL, and what the engine's functions read.
 */
export function restoreScript(props: RestoreScriptProps): string {
  const ext = props.extension.replace(/\./g, '\\.');
  return `#!/bin/bash
# db-platform ${props.engine} restore of one tenant. Generated by @db/core (restore.ts); do not edit.
set -Eeuo pipefail
: "\${BACKUP_DIR:?}" "\${BACKUP_NAME:?}" "\${RESTORE_TENANT:?}" "\${RESTORE_DATABASE:?}"
RESTORE_ACTION=\${RESTORE_ACTION:-restore}
RESTORE_DUMP=\${RESTORE_DUMP:-latest}
RESTORE_INTO=\${RESTORE_INTO:-$RESTORE_DATABASE}
RESTORE_REPLACE=\${RESTORE_REPLACE:-false}
RESTORE_ENTRY=\${RESTORE_ENTRY:-manual}
PUSHGATEWAY_URL=\${PUSHGATEWAY_URL:-}
folder="$BACKUP_DIR/$RESTORE_TENANT"

${PUSH_METRICS}
${
  props.prelude
    ? `
${props.prelude}
`
    : ''
}
target_objects() {
  ${props.targetObjects}
}

create_target() {
  ${props.createTarget}
}

restore_archive() {
  ${props.restoreArchive}
}

count_rows() {
  ${props.countRows}
}

# The tenant's archives, newest first (names sort by their UTC stamp).
archives() {
  ls -1 "$folder" 2>/dev/null | grep -E "^\${RESTORE_TENANT}-[0-9]{8}T[0-9]{6}Z\\.${ext}$" | sort -r || true
}
manifest_value() { awk -v k="$1" '$1 == k { print $2 }' "$2" 2>/dev/null || true; }

if [ "$RESTORE_ACTION" = list ]; then
  echo "dumps of tenant $RESTORE_TENANT (${props.engine}, $BACKUP_NAME), newest first:"
  n=0
  while read -r f; do
    [ -n "$f" ] || continue
    n=$((n + 1))
    printf '  %s  %s bytes  %s objects  %s rows\\n' "$f" "$(stat -c %s -- "$folder/$f")" "$(manifest_value objects "$folder/$f.manifest")" "$(manifest_value rows "$folder/$f.manifest")"
  done < <(archives)
  [ "$n" -gt 0 ] || echo "  (none)"
  echo "restore one with a restores: entry { engine: ${props.engine}, tenant: $RESTORE_TENANT, dump: <file name> } (or dump: latest)"
  exit 0
fi

started=$(date -u +%s)
# report STATUS REFUSED [OBJECTS ROWS]
report() {
  local now
  now=$(date -u +%s)
  push_metrics "db-restore/backup/$BACKUP_NAME/tenant/$RESTORE_TENANT" "# TYPE db_restore_last_run_timestamp_seconds gauge
db_restore_last_run_timestamp_seconds{engine=\\"${props.engine}\\",entry=\\"$RESTORE_ENTRY\\",database=\\"$RESTORE_INTO\\"} $now
# TYPE db_restore_last_status gauge
db_restore_last_status{engine=\\"${props.engine}\\",entry=\\"$RESTORE_ENTRY\\",database=\\"$RESTORE_INTO\\"} $1
# TYPE db_restore_last_refused gauge
db_restore_last_refused{engine=\\"${props.engine}\\",entry=\\"$RESTORE_ENTRY\\",database=\\"$RESTORE_INTO\\"} $2
# TYPE db_restore_last_duration_seconds gauge
db_restore_last_duration_seconds{engine=\\"${props.engine}\\",entry=\\"$RESTORE_ENTRY\\",database=\\"$RESTORE_INTO\\"} $((now - started))
# TYPE db_restore_last_objects gauge
db_restore_last_objects{engine=\\"${props.engine}\\",entry=\\"$RESTORE_ENTRY\\",database=\\"$RESTORE_INTO\\"} \${3:-0}
# TYPE db_restore_last_rows gauge
db_restore_last_rows{engine=\\"${props.engine}\\",entry=\\"$RESTORE_ENTRY\\",database=\\"$RESTORE_INTO\\"} \${4:-0}" || true
}
on_error() {
  local code=$?
  trap - ERR
  echo "restore FAILED (exit $code)" >&2
  report 0 0
  exit "$code"
}
trap on_error ERR

if [ "$RESTORE_DUMP" = latest ]; then
  archive=$(archives | head -n 1)
else
  archive=$RESTORE_DUMP
fi
if [ -z "$archive" ] || [ ! -f "$folder/$archive" ]; then
  echo "restore: no dump \${RESTORE_DUMP} of tenant $RESTORE_TENANT in $folder (an entry with action: list shows them)" >&2
  false
fi
manifest="$folder/$archive.manifest"
if [ ! -f "$manifest" ]; then
  echo "restore: $archive has no manifest: it was not written by a complete backup" >&2
  false
fi
gzip -t -- "$folder/$archive"

existing=$(target_objects "$RESTORE_INTO")
if [ "$existing" -gt 0 ] && [ "$RESTORE_REPLACE" != true ]; then
  echo "restore REFUSED: database $RESTORE_INTO already holds $existing objects; nothing was changed. Add replace: true to the entry to replace them." >&2
  trap - ERR
  report 0 1
  exit 3
fi

echo "restore: tenant $RESTORE_TENANT, $archive → database $RESTORE_INTO (replace: $RESTORE_REPLACE, entry $RESTORE_ENTRY)"
create_target "$RESTORE_INTO"
restore_archive "$folder/$archive" "$RESTORE_INTO" "$RESTORE_REPLACE"

# Every table holds the rows the dump says it holds.
while read -r kind table rows; do
  [ "$kind" = table ] || continue
  got=$(count_rows "$RESTORE_INTO" "$table")
  if [ "$got" != "$rows" ]; then
    echo "restore: table $table has $got rows, the dump $rows" >&2
    false
  fi
  echo "restore:   $table: $rows rows"
done < "$manifest"
objects=$(manifest_value objects "$manifest")
rows=$(manifest_value rows "$manifest")
echo "restore: done: $objects objects, $rows rows of tenant $RESTORE_TENANT restored into $RESTORE_INTO from $archive"
report 1 0 "$objects" "$rows"
`;
}

export interface RestoreJobsProps {
  readonly model: PlatformModel;
  /** The engine's id: its entries are the ones rendered. */
  readonly engine: string;
  readonly namespace: string;
  /** Prefix of the ConfigMap holding the script: `<prefix>-restore-script`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly image: string;
  readonly runAsUser: number;
  readonly script: string;
  /** The claim of the engine's backup folder (mounted read-only). */
  readonly backupClaim: string;
  readonly backupName: string;
  /** The tenant's own database, by tenant name. */
  database(tenant: string): string;
  /** Environment of a restore (connection and credentials); a listing gets none. */
  readonly env: readonly k8s.EnvVar[];
  /** Extra environment per entry (e.g. the tenant's role). */
  entryEnv?(r: RestoreModel): k8s.EnvVar[];
  /** @default { cpu: '100m', memory: '256Mi' } */
  readonly resources?: { cpu: string; memory: string };
}

/** The label every restore and listing pod carries (network policy selects on it). */
export const RESTORE_COMPONENT = 'restore';
/**
 * Only the pods of a restore (not of a listing) carry this label: the engines' restore policy
 * and their servers' ingress select on it, so a listing, which reads the NFS folder through
 * the kubelet's mount and pushes nothing, reaches no server and no Pushgateway.
 */
export const RESTORING_POD_LABELS: Readonly<Record<string, string>> = { 'db-platform.io/restoring': 'true' };
/**
 * Objects that must be created once and never changed after (a one-shot Job): Flux creates
 * them only when absent, and the Argo CD wiring ignores differences in their spec.
 */
export const RUN_ONCE_LABEL = 'db-platform.io/run-once';

/** The script's ConfigMap and one Job per `restores:` entry of this engine. */
export class RestoreJobs extends Construct {
  constructor(scope: Construct, id: string, props: RestoreJobsProps) {
    super(scope, id);
    const entries = props.model.restores.filter((r) => r.engine === props.engine);
    if (entries.length === 0) return;
    const scriptMap = `${props.name}-restore-script`;
    new k8s.KubeConfigMap(this, 'Script', {
      metadata: { name: scriptMap, namespace: props.namespace, labels: { ...props.labels } },
      data: { 'restore.sh': props.script },
    });
    for (const r of entries) {
      const name = restoreJobName(r);
      const labels = { ...props.labels, [RUN_ONCE_LABEL]: 'true', 'db-platform.io/tenant': r.tenant };
      new k8s.KubeJob(this, name, {
        metadata: {
          name,
          namespace: props.namespace,
          labels,
          annotations: {
            'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent',
            'db-platform.io/restore-entry': JSON.stringify({ tenant: r.tenant, action: r.action, dump: r.dump, into: r.into, replace: r.replace }),
            ...(r.reason ? { 'db-platform.io/reason': r.reason } : {}),
          },
        },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 6 * 3600,
          template: {
            metadata: { labels: r.action === 'restore' ? { ...labels, ...RESTORING_POD_LABELS } : labels },
            spec: scriptJobPod({
              model: props.model,
              name: r.action,
              image: props.image,
              runAsUser: props.runAsUser,
              scriptMap,
              scriptKey: 'restore.sh',
              backupClaim: props.backupClaim,
              backupReadOnly: true,
              resources: props.resources,
              env: [
                { name: 'BACKUP_DIR', value: '/backup' },
                { name: 'BACKUP_NAME', value: props.backupName },
                { name: 'RESTORE_ACTION', value: r.action },
                { name: 'RESTORE_TENANT', value: r.tenant },
                { name: 'RESTORE_DATABASE', value: props.database(r.tenant) },
                { name: 'HOME', value: '/tmp' },
                ...(r.action === 'restore'
                  ? [
                      { name: 'RESTORE_DUMP', value: r.dump },
                      { name: 'RESTORE_INTO', value: r.into ?? props.database(r.tenant) },
                      { name: 'RESTORE_REPLACE', value: String(r.replace) },
                      { name: 'RESTORE_ENTRY', value: r.hash },
                      { name: 'PUSHGATEWAY_URL', value: props.model.monitoring.pushgateway },
                      ...props.env,
                      ...(props.entryEnv?.(r) ?? []),
                    ]
                  : []),
              ],
            }),
          },
        },
      });
    }
  }
}

/** Quotes a value for the script's bash (for engine functions that embed a name). */
export const bashWord = shq;
