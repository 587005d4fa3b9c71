/**
 * A scanner for anything in rendered text that looks like a credential: private keys,
 * cloud and forge tokens, bearer tokens and JWTs, URIs with a password, password
 * assignments with a literal value, and high-entropy strings. No secret value ever belongs
 * in this repository (passwords live in Secrets that a rotator or an operator fills), so every
 * hit is a bug; references such as `$(PG_PASSWORD)`, `${VAR}`, `$VAR` or `<password>` are
 * not values and are not reported.
 */

export interface CredentialHit {
  readonly file: string;
  readonly line: number;
  readonly detector: string;
  /** The matched text, shortened and partly masked so a report never repeats a secret. */
  readonly excerpt: string;
}

/** A pattern that finds a credential; engines add theirs (`Engine.credentialDetectors`) for their config syntax. */
export interface CredentialDetector {
  readonly id: string;
  readonly pattern: RegExp;
  /** Index of the capture group holding the value, to skip references and placeholders. */
  readonly valueGroup?: number;
}

export const CREDENTIAL_DETECTORS: readonly CredentialDetector[] = [
  { id: 'private-key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  { id: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b/g },
  { id: 'aws-secret-access-key', pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})/gi, valueGroup: 1 },
  { id: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g },
  { id: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { id: 'gitlab-token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { id: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { id: 'bearer-token', pattern: /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{16,}=*)/g, valueGroup: 1 },
  { id: 'uri-with-password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:([^\s@/'"]+)@/gi, valueGroup: 1 },
  {
    id: 'password-assignment',
    // password=..., PASSWORD: "...", IDENTIFIED BY '...'
    pattern: /(?:\b(?:pass(?:word|wd)?|pwd|secret|api_?key|auth_?token|access_?token)\b["']?\s*[:=]\s*|\bIDENTIFIED\s+BY\s+)["']?([^\s"',;)]{4,})/gi,
    valueGroup: 1,
  },
];

/** A value that names a credential instead of holding one. */
export function isReference(value: string): boolean {
  return (
    /^\$[({]?[A-Za-z_][A-Za-z0-9_]*[)}]?/.test(value) || // $(VAR), ${VAR}, $VAR
    /^<[^>]+>$/.test(value) || // <password>
    /^@[A-Z][A-Z0-9_]*@$/.test(value) || // @EXPORTER_PASSWORD@, substituted inside the Job at run time
    /^\{\{.*\}\}$/.test(value) || // {{ .Values.x }} / {{password}} (templated by a later tool)
    /^(?:\*+|x+|\.\.\.|redacted|changeme|null|none|true|false|required|optional)$/i.test(value) ||
    /^(?:secretKeyRef|valueFrom|fromSecret|file|env)\b/i.test(value)
  );
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const TOKEN = /[A-Za-z0-9+/_=-]{32,}/g;

/** A random-looking token: long, mixed letters and digits, high entropy (hex digests stay below 4 bits). */
export function isHighEntropyToken(token: string): boolean {
  return token.length >= 32 && /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token) && entropy(token) > 4.5;
}

function mask(s: string): string {
  const t = s.length > 60 ? `${s.slice(0, 60)}…` : s;
  return t.replace(/([A-Za-z0-9+/=_-]{4})[A-Za-z0-9+/=_-]{4,}/g, '$1****');
}

/** Every credential-looking hit in one text, with the shared detectors and `extra` ones (the engines'). */
export function scanForCredentials(file: string, text: string, extra: readonly CredentialDetector[] = []): CredentialHit[] {
  const hits: CredentialHit[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const d of [...CREDENTIAL_DETECTORS, ...extra]) {
      for (const m of line.matchAll(d.pattern)) {
        const value = d.valueGroup !== undefined ? m[d.valueGroup] : undefined;
        if (value !== undefined && isReference(value)) continue;
        hits.push({ file, line: i + 1, detector: d.id, excerpt: mask(m[0]) });
      }
    }
    for (const m of line.matchAll(TOKEN)) if (isHighEntropyToken(m[0])) hits.push({ file, line: i + 1, detector: 'high-entropy-string', excerpt: mask(m[0]) });
  });
  return hits;
}
