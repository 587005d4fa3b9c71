/** The `secrets` section resolved, and the credentials every enabled engine declares. */
import type { Engine, GeneratedSecret, PlatformModel } from '@db/core';
import { kvKey } from '@db/vault';
import { SECRETS_DEFAULTS as D, secretsSection } from './schema.ts';

export interface SecretsModel {
  readonly kvMount: string;
  /** The Password generator's spec (External Secrets v2.9.0 generators/v1/password). */
  readonly password: { readonly length: number; readonly digits: number; readonly symbols: 0; readonly noUpper: false; readonly allowRepeat: true; readonly encoding: 'raw' };
  readonly pushInterval: string;
}

export function resolveSecrets(model: PlatformModel): SecretsModel {
  const spec = secretsSection(model.input) ?? {};
  const length = spec.passwordLength ?? D.passwordLength;
  return {
    kvMount: spec.kvMount ?? D.kvMount,
    // symbols: 0 → [A-Za-z0-9] only: the default symbol set (password.go:41) is unsafe in URIs and SQL.
    password: { length, digits: Math.floor(length / 4), symbols: 0, noUpper: false, allowRepeat: true, encoding: 'raw' },
    pushInterval: spec.pushInterval ?? D.pushInterval,
  };
}

export interface PlannedSecret {
  readonly secret: GeneratedSecret;
  /** The engine that declared it. */
  readonly engine: Engine;
  /** KV v2 key below the mount. */
  readonly key: string;
}

export function plannedSecrets(engines: readonly Engine[], model: PlatformModel): PlannedSecret[] {
  return engines.filter((e) => e.enabled(model) && e.generatedSecrets).flatMap((e) => e.generatedSecrets!(model).map((secret) => ({ secret, engine: e, key: kvKey(secret) })));
}
