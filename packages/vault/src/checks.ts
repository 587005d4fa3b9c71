/** Semantic checks of the `vault` section and of the tenants' rotation settings. */
import { durationSeconds, type Engine, type PlatformModel, type Problem } from '@db/core';
import { engineCredentials, MAX_ROTATION_SECONDS, MIN_ROTATION_SECONDS, resolveVault } from './model.ts';
import { everyToCron } from './push-password.ts';

const days = (s: number) => `${s / 86_400}d`;

/** The database plugins Vault 1.21 ships that the platform configures (the connection settings it renders are theirs). */
export const SUPPORTED_PLUGINS: ReadonlySet<string> = new Set(['postgresql-database-plugin', 'mysql-database-plugin']);

export function checkVault(engines: readonly Engine[], model: PlatformModel): Problem[] {
  const { source } = model;
  const problems: Problem[] = [];
  const credentials = engineCredentials(engines, model);
  const rotated = credentials.flatMap((c) => c.logins.filter((l) => l.rotate));

  if (model.input.vault === undefined) {
    for (const l of rotated) {
      problems.push(
        source.problem(
          ['tenants', l.tenant.index, l.section],
          `${l.section} login "${l.username}" is rotated by Vault, but the platform has no vault section`,
          'add `vault: {}` (defaults: namespace vault, weekly rotation), or set rotate: false with a rotateReason',
        ),
      );
    }
    return problems;
  }

  for (const c of credentials)
    if (!SUPPORTED_PLUGINS.has(c.connection.plugin))
      problems.push(
        source.problem(
          ['vault'],
          `engine ${c.engine} asks Vault for the plugin "${c.connection.plugin}", which the vault engine does not configure`,
          `supported: ${[...SUPPORTED_PLUGINS].join(', ')}`,
        ),
      );

  const v = resolveVault(model, credentials);
  const inBounds = (seconds: number) => seconds >= MIN_ROTATION_SECONDS && seconds <= MAX_ROTATION_SECONDS;
  const global = durationSeconds(v.rotationPeriod);
  if (!inBounds(global))
    problems.push(
      source.problem(
        ['vault', 'rotationPeriod'],
        `rotation period ${v.rotationPeriod} is outside ${days(MIN_ROTATION_SECONDS)}..${days(MAX_ROTATION_SECONDS)}`,
        'the seeds rotate every 7d; shorter churns connections, longer keeps a leaked password alive',
      ),
    );
  const root = durationSeconds(v.rootRotationPeriod);
  if (root < MIN_ROTATION_SECONDS || root > 365 * 86_400) problems.push(source.problem(['vault', 'rootRotationPeriod'], `root rotation period ${v.rootRotationPeriod} is outside 1d..365d`));
  if (durationSeconds(v.refreshInterval) < 60)
    problems.push(
      source.problem(['vault', 'refreshInterval'], `refresh interval ${v.refreshInterval} is below 1m`, "External Secrets would log in to Vault for every tenant that often; 15m is the seeds' value"),
    );

  const databaseNamespaces = new Set(engines.filter((e) => e.enabled(model)).flatMap((e) => e.namespaces(model).map((n) => n.name)));
  if (databaseNamespaces.has(v.namespace)) {
    problems.push(
      source.problem(
        ['vault', 'namespace'],
        `Vault's namespace "${v.namespace}" is also a database namespace`,
        'database namespaces get a default-deny network policy that would cut Vault off; run Vault in its own namespace',
      ),
    );
  }

  for (const c of credentials) {
    for (const l of c.logins) {
      const at = ['tenants', l.tenant.index, l.section];
      if (l.rotationPeriod !== undefined) {
        if (!l.rotate) problems.push(source.problem([...at, 'rotationPeriod'], 'rotationPeriod is only meaningful for a rotated login', 'remove it, or set rotate: true'));
        else if (!inBounds(durationSeconds(l.rotationPeriod)))
          problems.push(source.problem([...at, 'rotationPeriod'], `rotation period ${l.rotationPeriod} is outside ${days(MIN_ROTATION_SECONDS)}..${days(MAX_ROTATION_SECONDS)}`));
      }
      if (l.pushPassword) {
        if (everyToCron(l.pushPassword.every, l.tenant.name) === undefined) {
          problems.push(
            source.problem(
              [...at, 'pushPassword', 'every'],
              `cannot run every ${l.pushPassword.every} on a cron schedule`,
              'use an interval of at least 5m that divides an hour or a day: 15m, 30m, 1h, 6h, 12h, 1d',
            ),
          );
        } else if (l.rotate && durationSeconds(l.pushPassword.every) >= durationSeconds(l.rotationPeriod ?? v.rotationPeriod)) {
          problems.push(
            source.problem(
              [...at, 'pushPassword', 'every'],
              `pushing every ${l.pushPassword.every} is not more often than the password rotates (${l.rotationPeriod ?? v.rotationPeriod})`,
              'the app would keep a dead password; the seeds push every 6h',
            ),
          );
        }
        const unknown = Object.values(l.pushPassword.fields)
          .flatMap((value) => [...value.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? ''))
          .filter((name) => !['host', 'port', 'database', 'username', 'password'].includes(name));
        for (const name of new Set(unknown))
          problems.push(source.problem([...at, 'pushPassword', 'fields'], `unknown placeholder \${${name}}`, 'placeholders are ${host}, ${port}, ${database}, ${username} and ${password}'));
      }
    }
  }
  return problems;
}
