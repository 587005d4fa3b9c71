/**
 * The platform's documentation, generated from the same model as the manifests and written
 * with them as clusters/<cluster>/README.md, so it can never go stale the way the seed
 * documents did: the architecture diagram, the endpoints, who uses which engine, the
 * credential rotation and its exclusions, the backups, every alert with its runbook, and
 * the guardrails with every waiver.
 *
 * Everything comes from the engines: their optional `docs(model)` hook (endpoints, users,
 * credentials, backups, diagram), `alerts(model)` and `rules`. A new engine documents
 * itself by implementing the hook; nothing here names an engine.
 */
import {
  CORE_RULES,
  DASHBOARD_SCHEMA_VERSION,
  durationSeconds,
  expandVariables,
  GRAFANA_VERSION,
  runbookFile,
  TENANT_INFO,
  tenantState,
  type Engine,
  type GuardrailReport,
  type PlatformModel,
  type Rule,
} from '@db/core';

/** Table cell: one line, no pipe, no raw HTML. */
function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Mermaid label inside `["..."]`: quotes and angle brackets become entities, `<br/>` stays. */
function label(s: string): string {
  return s
    .split('<br/>')
    .map((p) => p.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>');
}

const nodeId = (prefix: string, name: string) => `${prefix}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;

function edge(from: string, to: string, text?: string, dotted?: boolean): string {
  const arrow = dotted ? '-.->' : '-->';
  return text ? `${from} ${arrow}|"${label(text)}"| ${to}` : `${from} ${arrow} ${to}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function humanSeconds(s: number): string {
  if (s % 86400 === 0) return `${s / 86400} days`;
  if (s % 3600 === 0) return `${s / 3600} h`;
  return `${s} s`;
}

export interface DocsInput {
  readonly model: PlatformModel;
  /** The enabled engines, in output order. */
  readonly engines: readonly Engine[];
  readonly guardrails: GuardrailReport;
  /** Every guardrail of the platform. @default the shared rules and the engines' */
  readonly rules?: readonly Rule[];
}

export function renderDocs({ model, engines, guardrails, rules: allRules }: DocsInput): string {
  const documented = engines.flatMap((e) => (e.docs ? [{ engine: e, docs: e.docs(model) }] : []));
  const policy = documented.find((d) => d.docs.rotationPolicy)?.docs.rotationPolicy;
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines);

  p(
    `<!-- Rendered by db-platform from apps/${model.cluster}/platform.yaml. Do not edit: change the desired state and run \`npm run synth\`. -->`,
    `# Database services of cluster \`${model.cluster}\``,
    '',
    `Generated from [\`apps/${model.cluster}/platform.yaml\`](../../apps/${model.cluster}/platform.yaml) together with the manifests in this folder, so it always describes what is deployed.`,
    '',
  );

  // Architecture
  p('## Architecture', '', '```mermaid', 'graph TB');
  const users = documented.flatMap((d) => d.docs.users.map((u) => ({ ...u, engine: d.docs.title })));
  const apps = [...new Set(users.map((u) => u.tenant))];
  if (apps.length > 0) {
    p('  subgraph Apps["Apps"]');
    for (const a of apps) p(`    ${nodeId('app', a)}["${label(a)}"]`);
    p('  end');
  }
  for (const { docs } of documented.filter((d) => d.docs.graph.nodes.length > 0)) {
    p(`  subgraph ${nodeId('engine', docs.title)}["${label(docs.title)}"]`);
    for (const n of docs.graph.nodes) p(`    ${n.id}["${label(n.label)}"]`);
    p('  end');
  }
  const credentials = documented.flatMap((d) => d.docs.credentials.map((c) => ({ ...c, engine: d.docs.title })));
  // Without a rotator, nothing rotates, whatever the tenants ask.
  const rotated = policy ? credentials.filter((c) => c.rotated) : [];
  const backups = documented.flatMap((d) => d.docs.backups);
  if (backups.length > 0) p(`  nfs[("NFS ${label(model.backups.nfs.server)}<br/>${label(model.backups.nfs.path)}")]`);
  for (const u of users) p(`  ${nodeId('app', u.tenant)} --> ${u.node}`);
  for (const { docs } of documented) {
    for (const e of docs.graph.edges) p(`  ${edge(e.from, e.to, e.label, e.dotted)}`);
    for (const n of docs.graph.nodes) if (n.id.endsWith('_backup')) p(`  ${n.id} --> nfs`);
  }
  if (policy && rotated.length > 0) {
    if (apps.length > 0) p(`  ${edge(policy.syncNode, 'Apps', 'a Secret in each app namespace', true)}`);
    const targets = new Set(users.filter((u) => rotated.some((c) => c.tenant === u.tenant && c.engine === u.engine)).map((u) => u.node));
    for (const t of [...targets].sort()) p(`  ${edge(policy.node, t, `rotation every ${humanSeconds(policy.periodSeconds)}`, true)}`);
  }
  p('```', '');

  // Endpoints
  p('## Endpoints', '', 'Apps always use these names: they survive failovers, topology changes and renames of the pods behind them.', '');
  p(
    ...table(
      ['Engine', 'Service', 'Port', 'Use it for'],
      documented.flatMap(({ docs }) => docs.endpoints.map((e) => [docs.title, `\`${e.host}\``, String(e.port), e.purpose])),
    ),
    '',
  );

  // Engines
  p('## Engines', '');
  for (const { docs } of documented) p(`### ${docs.title}`, '', docs.summary, '');

  // Who uses what
  p('## Who uses what', '');
  const descriptions = new Map(model.tenants.map((t) => [t.name, t.description]));
  const states = new Map(model.tenants.map((t) => [t.name, tenantState(t)]));
  const appCell = (tenant: string) => {
    const name = descriptions.get(tenant) ? `${tenant} (${descriptions.get(tenant)})` : tenant;
    const state = states.get(tenant);
    return state === undefined || state === 'active' ? name : `${name}, **${state}**`;
  };
  p(
    ...table(
      ['App', 'Namespace', 'Engine', 'What it gets', 'Connects to'],
      users.map((u) => [appCell(u.tenant), u.namespace, u.engine, u.what, u.connectsTo.startsWith('(') ? u.connectsTo : `\`${u.connectsTo}\``]),
    ),
    '',
  );

  // Rotation
  p('## Credential rotation', '');
  p(
    policy
      ? `Passwords of tenant roles and users are rotated every ${policy.periodSeconds} s (${humanSeconds(policy.periodSeconds)}) by ${policy.rotatedBy}; ${policy.syncedBy} syncs each one into a Secret in the app's namespace every ${policy.refresh}. ${policy.ownership}`
      : 'No credential rotation is configured in this cluster: every tenant password below is managed by hand until a rotator is enabled.',
    '',
  );
  if (policy && rotated.length > 0) {
    p('### Rotated', '');
    p(
      ...table(
        ['App', 'Engine', 'Credential', 'Period', 'Synced to its namespace', 'Notes'],
        rotated.map((c) => [
          c.tenant,
          c.engine,
          c.principal,
          `${c.rotationPeriod ? durationSeconds(c.rotationPeriod) : policy.periodSeconds} s`,
          `every ${policy.refresh}`,
          [c.rotatedBy ?? '', c.pushEvery ? `pushed into the app's own config every ${c.pushEvery} by a CronJob` : ''].filter(Boolean).join('; '),
        ]),
      ),
      '',
    );
  }
  const excluded = policy ? credentials.filter((c) => !c.rotated) : credentials.map((c) => ({ ...c, reason: 'no rotator is configured' }));
  p('### Excluded from rotation', '');
  if (excluded.length > 0)
    p(
      ...table(
        ['App', 'Engine', 'Credential', 'Why'],
        excluded.map((c) => [c.tenant, c.engine, c.principal, c.reason ?? '']),
      ),
      '',
    );
  const handManaged = [...new Set(documented.flatMap((d) => d.docs.handManagedUsers ?? []))];
  p(
    model.services.secretGeneration && handManaged.length === 0
      ? `Root users and the platform's own service users get generated passwords (${model.services.secretGeneration.by}), made once in the cluster and never typed by a person; they are not rotated.`
      : `Root users and the platform's own service users${handManaged.length > 0 ? ` (${handManaged.join(', ')})` : ''} are managed by hand: their Secrets are created out of band.`,
    '',
  );

  // Operators and what they need
  const operators = [...new Map(engines.flatMap((e) => e.operators?.(model) ?? []).map((o) => [o.id, o])).values()].sort((a, b) => a.id.localeCompare(b.id));
  if (operators.length > 0) {
    p('## Operators and prerequisites', '', 'Installed from their pinned upstream charts by the GitOps wiring (`argocd/`, `flux/`):', '');
    p(
      ...table(
        ['Operator', 'Version', 'Chart', 'Namespace'],
        operators.map((o) => [o.description, o.appVersion, `${o.chart.name} ${o.chart.version}`, `\`${o.namespace}\``]),
      ),
      '',
    );
    const prerequisites = [
      { name: 'Prometheus operator CRDs', reason: 'the PodMonitors and PrometheusRules rendered here' },
      ...operators.flatMap((o) => (o.prerequisites ?? []).map((r) => ({ name: r.name, reason: `${o.id}: ${r.reason}` }))),
    ];
    p(
      'Installed before, by you (nothing here provides them):',
      '',
      ...table(
        ['Prerequisite', 'Needed by'],
        [...new Map(prerequisites.map((r) => [`${r.name} ${r.reason}`, r])).values()].map((r) => [r.name, r.reason]),
      ),
      '',
    );
  }

  // Backups
  p('## Backups', '', `Every backup job reports to the Pushgateway \`${model.monitoring.pushgateway}\`, on failure too, so an alert tells a failed backup from one that never ran.`, '');
  if (backups.length > 0)
    p(
      ...table(
        ['What', 'Schedule (UTC)', 'Target (NFS)', 'Retention', 'CronJob'],
        backups.map((b) => [b.what, `\`${b.schedule}\``, `\`${b.target}\``, b.retention, b.job]),
      ),
      '',
    );
  else p('No engine of this cluster takes backups.', '');
  const perTenant = backups.flatMap((b) => (b.tenants ?? []).map((t) => ({ ...t, engine: b.engine ?? '', drill: b.drill })));
  if (perTenant.length > 0)
    p(
      '### Each tenant: its dumps, its last drill, how to restore it',
      '',
      'A tenant\'s last drill is `db_restore_drill_last_status{tenant="<tenant>"}` (1 passed; the reason of a failure in `db_restore_drill_failure`); to restore it, add the `restores:` entry shown and open a pull request (README, "Backups and restoring one app"). `action: list` instead shows its dumps in the Job\'s log.',
      '',
      ...table(
        ['Tenant', 'Dumps (NFS)', 'Kept', 'Last drill', 'Restore'],
        perTenant.map((t) => [
          t.tenant,
          `\`${t.folder}\``,
          String(t.keep),
          t.drill ? `\`${t.drill.alert}\` / \`db_restore_drill_last_status{tenant="${t.tenant}"}\` (${t.drill.job})` : '',
          `\`{ engine: ${t.engine}, tenant: ${t.tenant}, dump: latest }\``,
        ]),
      ),
      '',
    );

  // Offboarding
  const offboarding = documented.flatMap((d) => (d.docs.offboarding ?? []).map((o) => ({ ...o, engine: d.docs.title })));
  p(
    '## Retired tenants',
    '',
    'A tenant leaves in three reviewed pull requests (README, "Retiring an app"): `state: retired` with `retiredOn` (its login is disabled, its credentials no longer delivered, its network path closed, a final dump taken; its data kept), then `purge: true` once the retention is over (its data deleted), then its removal from `tenants:`.',
    '',
  );
  if (offboarding.length > 0)
    p(
      ...table(
        ['Tenant', 'Engine', 'State', 'Retired on', 'Access', 'Final dump', 'Purge'],
        offboarding.map((o) => [o.tenant, o.engine, o.state, o.retiredOn, o.access, o.finalDump, o.purge]),
      ),
      '',
    );
  else p('No tenant of this cluster is retired.', '');

  // Dashboards and per-tenant usage
  const dashboards = engines.flatMap((e) => {
    const d = e.dashboard?.(model);
    return d ? [{ id: e.id, d }] : [];
  });
  if (dashboards.length > 0) {
    const { dashboards: where } = model.monitoring;
    p(
      '## Dashboards and per-tenant usage',
      '',
      `Grafana ${GRAFANA_VERSION} dashboards (schemaVersion ${DASHBOARD_SCHEMA_VERSION}), built with the Grafana foundation SDK and loaded by the Grafana sidecar from ConfigMaps labelled \`${where.label}: "${where.labelValue}"\` in \`${where.namespace}\`: the overview (\`db-platform-overview-dashboard\`) and one per engine (${dashboards.map(({ id }) => `\`db-platform-${id}-dashboard\``).join(', ')}). Each has a **Tenant** variable, a panel per alert plotting its expression, and the backup metrics.`,
      '',
      `Per-tenant series carry a \`tenant\` label through the recorded \`${TENANT_INFO}\` series (PrometheusRules \`db-platform-<engine>-tenants\`). To look at one tenant in Prometheus, run these with \`$tenant\` replaced by its name (a regex: \`a|b\` for two):`,
      '',
    );
    for (const { d } of dashboards) {
      p(`### ${d.title}`, '');
      const panels = d.sections.flatMap((s) => s.panels).filter((x) => x.perTenant || x.queries.some((q) => q.expr.includes('$tenant')));
      for (const x of panels) p(`- **${x.title}**: \`${expandVariables(x.queries[0]!.expr, { tenant: '$tenant', rateInterval: '5m' })}\``);
      const limited = d.tenants.filter((t) => t.connectionLimit !== undefined);
      p('', limited.length > 0 ? `Connection limits: ${limited.map((t) => `${t.tenant} ${t.connectionLimit}`).join(', ')}.` : 'No tenant has a connection limit.', '');
    }
  }

  // Alerts
  p('## Alerts', '', 'Every alert has a runbook; each carries its link as `runbook_url`.', '');
  const alerts = engines.flatMap((e) => e.alerts(model).map((a) => ({ ...a, engine: e.id })));
  p(
    ...table(
      ['Alert', 'Engine', 'Severity', 'For', 'Summary', 'Runbook'],
      alerts.map((a) => [`\`${a.alert}\``, a.engine, a.severity, a.for ?? '', a.summary, `[${runbookFile(a.alert)}](${model.monitoring.runbookBaseUrl}/${runbookFile(a.alert)})`]),
    ),
    '',
  );

  // Guardrails
  const rules = allRules ?? [...CORE_RULES, ...engines.flatMap((e) => e.rules)];
  p('## Guardrails', '', 'Checked on every render: an `error` refuses to render, a `warning` prints. Each rule comes from an outage.', '');
  p(
    ...table(
      ['Rule', 'Severity', 'Refuses', 'Why'],
      rules.map((r) => [`\`${r.id}\``, r.severity, r.title, r.reason]),
    ),
    '',
  );
  p('### Waivers', '');
  const waivers = [...new Map(guardrails.waived.map((w) => [`${w.rule} ${w.object}`, w])).values()];
  if (waivers.length > 0)
    p(
      ...table(
        ['Rule', 'Object', 'Reason'],
        waivers.map((w) => [`\`${w.rule}\``, `\`${w.object}\``, w.reason]),
      ),
      '',
    );
  else p('None: every guardrail holds for every object.', '');
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
