/**
 * The ACL file. The repository holds only a template: each user's password is the token
 * `@PASSWORD@`, replaced at start-up (prepare.sh) by the SHA-256 of the password read from
 * the user's Secret, so no secret is ever rendered, and not even the plain password reaches
 * the file Redis loads.
 */
import { createHash } from 'node:crypto';
import type { RedisModel } from './model.ts';

export const PASSWORD_TOKEN = '@PASSWORD@';

/**
 * The `default` user: what a client that sends no AUTH is. `on`: off, so every client
 * authenticates as its own user. `migrating` and `off`: on without a password and with the
 * access every client had before ACL users existed, so those clients keep working.
 */
export function defaultUserLine(redis: Pick<RedisModel, 'auth'>): string {
  return redis.auth === 'on' ? 'user default off resetkeys resetchannels -@all' : 'user default on nopass resetkeys ~* resetchannels &* +@all';
}

export function usersAclTemplate(redis: RedisModel): string {
  const lines = [
    // No comments: an ACL file accepts only `user` lines.
    defaultUserLine(redis),
    // `off`: a retired tenant's user, which no password logs in; its keys stay.
    ...redis.users.map((u) => `user ${u.name} ${u.enabled === false ? 'off' : 'on'} ${PASSWORD_TOKEN} ${u.rules}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** What prepare.sh does, in TypeScript: for tests that start Redis without the script. */
export function fillAclPasswords(template: string, passwords: Readonly<Record<string, string>>): string {
  return template
    .split('\n')
    .map((line) => {
      if (!line.includes(PASSWORD_TOKEN)) return line;
      const user = line.split(' ')[1]!;
      const pw = passwords[user];
      if (pw === undefined) throw new Error(`no password for ACL user ${user}`);
      // One password per line (the new one and, during a rotation, the previous one).
      const hashes = pw
        .split('\n')
        .filter((p) => p !== '')
        .map((p) => `#${createHash('sha256').update(p).digest('hex')}`);
      return line.replace(PASSWORD_TOKEN, hashes.join(' '));
    })
    .join('\n');
}

/**
 * Rotating a user's password without a failed login: add the new password next to the old
 * one (`>new` keeps every existing password, both log in), wait until every consumer holds the
 * new one (External Secrets refresh plus restart), then drop the old (`<old`). Connections
 * authenticated with the old password stay open.
 */
export function rotationCommands(user: string, next: string, previous: string): { add: string[]; drop: string[] } {
  return { add: ['ACL', 'SETUSER', user, `>${next}`], drop: ['ACL', 'SETUSER', user, `<${previous}`] };
}
