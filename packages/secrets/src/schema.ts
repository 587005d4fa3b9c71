/** The `secrets:` section of platform.yaml: generated credentials (needs `vault:`). */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, DURATION, withDefaults, type Defaults } from '@db/core';

const SecretsFields = Closed(
  {
    kvMount: Type.Optional(
      Type.String({
        pattern: '^database[a-z0-9-]{0,22}$',
        description: "Mount path of Vault's KV v2 engine holding the generated credentials; starts with `database` so the operator's bootstrap policy (`sys/mounts/database*`) covers it.",
      }),
    ),
    passwordLength: Type.Optional(Type.Integer({ minimum: 24, maximum: 64, description: 'Characters of each generated password, all of [A-Za-z0-9], a quarter of them digits.' })),
    pushInterval: Type.Optional(Type.String({ pattern: DURATION, description: 'How often a PushSecret retries; once the value exists in Vault it does nothing (updatePolicy IfNotExists).' })),
  },
  {
    description:
      "Every internal credential (Redis ACL users, root, exporter and backup logins) generated once in the cluster into Vault KV and delivered by External Secrets to the server's and the tenant's namespace. Needs `vault:`.",
  },
);

export type SecretsInput = Static<typeof SecretsFields>;

export const SECRETS_DEFAULTS = { kvMount: 'database-kv', passwordLength: 32, pushInterval: '1h' } as const satisfies Defaults<SecretsInput>;

export const SecretsSpec = withDefaults(SecretsFields, SECRETS_DEFAULTS);

export const secretsSection = (input: { readonly [section: string]: unknown }): SecretsInput | undefined => input.secrets as SecretsInput | undefined;
