/**
 * No credential in the repository's rendered output: every file under clusters/ (manifests
 * and generated docs) and charts/, plus the desired state, runbooks and README, goes through
 * the credential scanner (packages/core/src/credential-scan.ts), and no rendered object is a
 * Secret carrying data. Positive controls prove every detector fires, so a silent scanner
 * cannot pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CREDENTIAL_DETECTORS, readTree, scanForCredentials, type CredentialHit } from '@db/core';
import { ENGINES } from '../src/engines.ts';
import { REPO_ROOT } from '../src/paths.ts';

/** The shared detectors and the engines' own (their config syntax). */
const ENGINE_DETECTORS = ENGINES.flatMap((e) => e.credentialDetectors ?? []);

const SCANNED_DIRS = ['clusters', 'charts', 'apps', 'docs', 'policy'];

function repositoryFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of SCANNED_DIRS) for (const [f, text] of readTree(join(REPO_ROOT, d))) if (!f.includes('node_modules/')) files.set(`${d}/${f}`, text);
  if (existsSync(join(REPO_ROOT, 'README.md'))) files.set('README.md', readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
  return files;
}

describe('credential scan of the rendered output', () => {
  const files = repositoryFiles();

  it('scans every rendered file and finds nothing that looks like a credential', () => {
    const rendered = [...files.keys()].filter((f) => f.startsWith('clusters/'));
    expect(rendered.length).toBeGreaterThan(50);
    const hits: CredentialHit[] = [...files].flatMap(([f, text]) => scanForCredentials(f, text, ENGINE_DETECTORS));
    expect(hits.map((h) => `${h.file}:${h.line}: ${h.detector}: ${h.excerpt}`)).toEqual([]);
    console.log(`credential scan: ${files.size} files (${rendered.length} under clusters/), ${CREDENTIAL_DETECTORS.length + ENGINE_DETECTORS.length + 1} detectors, 0 hits`);
  });

  it('renders no Secret with data: passwords live in Secrets filled out of band (Vault, operators)', () => {
    const withData: string[] = [];
    for (const [f, text] of files) {
      if (!/\.ya?ml$/.test(f) || !(f.startsWith('clusters/') || f.startsWith('charts/'))) continue;
      for (const doc of parseAllDocuments(text)) {
        const o = doc.toJS() as { kind?: string; data?: object; stringData?: object } | null;
        if (o?.kind === 'Secret' && (Object.keys(o.data ?? {}).length > 0 || Object.keys(o.stringData ?? {}).length > 0)) withData.push(f);
      }
    }
    expect(withData).toEqual([]);
  });
});

describe('credential scanner: positive and negative controls', () => {
  // Built from parts so this file itself never holds a token a scanner would (rightly) flag.
  const j = (...p: string[]) => p.join('');
  const positives: [string, string][] = [
    ['private-key', j('-----BEGIN ', 'RSA PRIVATE KEY-----')],
    ['private-key', j('-----BEGIN ', 'OPENSSH PRIVATE KEY-----')],
    ['aws-access-key-id', j('AKIA', 'IOSFODNN7EXAMPLE')],
    ['aws-secret-access-key', j('aws_secret_access_key = ', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')],
    ['github-token', j('ghp_', 'a'.repeat(20), 'B'.repeat(16))],
    ['slack-token', j('xoxb-', '123456789012-abcdefghij')],
    ['gitlab-token', j('glpat-', 'x1Y2z3W4v5U6t7S8r9Q0')],
    ['jwt', j('eyJ', 'hbGciOiJIUzI1NiJ9.', 'eyJ', 'zdWIiOiIxMjM0NTY3ODkwIn0.', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U')],
    ['bearer-token', j('Authorization: Bearer ', 'k8sT0ken.abcdefghijklmnop')],
    ['uri-with-password', j('postgresql://app:', 'S3cr3tPa55', '@pgbouncer.dbaas.svc:5432/app')],
    ['password-assignment', j('password=', 'hunter2hunter2')],
    ['password-assignment', j('PASSWORD: "', 'Tr0ub4dor&3"')],
    ['redis-password-directive', j('requirepass ', 'Sup3rS3cret!')],
    ['password-assignment', j("CREATE USER 'app'@'%' IDENTIFIED BY '", "Pa55w0rd!'")],
    ['high-entropy-string', j('data: { password: ', 'c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2g9', 'Qk1X', ' }')],
  ];

  it.each(positives)('%s fires on %s', (detector, line) => {
    const hits = scanForCredentials('control.yaml', `kind: ConfigMap\n${line}\n`, ENGINE_DETECTORS);
    expect(hits.map((h) => h.detector)).toContain(detector);
    expect(hits.find((h) => h.detector === detector)!.line).toBe(2);
  });

  it('covers every detector with a control', () => {
    expect(new Set(positives.map(([d]) => d))).toEqual(new Set([...CREDENTIAL_DETECTORS.map((d) => d.id), ...ENGINE_DETECTORS.map((d) => d.id), 'high-entropy-string']));
  });

  const negatives = [
    'value: "postgresql://$(PG_USER):$(PG_PASSWORD)@pg-cluster-rw.dbaas.svc:5432/$(PG_DBNAME)"',
    "CREATE USER IF NOT EXISTS 'db_exporter'@'%' IDENTIFIED BY '@EXPORTER_PASSWORD@';",
    'password: ${REDIS_PASSWORD}',
    '- { key: password, path: admin }',
    'passwordSecret: { name: pg-cluster-db-backup }',
    'image: ghcr.io/cloudnative-pg/postgis@sha256:0f3e9a7c1b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7',
    'db-platform.io/script-sha256: 3f2a9c0d1e4b5a6f',
  ];
  it.each(negatives)('does not fire on a reference or a digest: %s', (line) => {
    expect(scanForCredentials('control.yaml', line, ENGINE_DETECTORS)).toEqual([]);
  });
});
