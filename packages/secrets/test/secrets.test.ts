/**
 * The generated-credentials chain, object by object, pinned to External Secrets v2.9.0 and
 * vault-config-operator behaviour (file:line in the upstream sources).
 */
import { describe, expect, it } from 'vitest';
import { model, PLATFORM, render } from './helpers.ts';
import { checkSecrets } from '../src/checks.ts';

const objects = render();
const of = (kind: string) => objects.filter((o) => o.kind === kind);

describe('generated credentials', () => {
  it('one Password generator per server namespace: 32 of [A-Za-z0-9], a quarter digits, no symbols', () => {
    // generators/v1/password/password.go:106-131: length, digits and symbols as given; symbols: 0 drops the default set (password.go:41).
    expect(of('Password').map((g) => [g.metadata.namespace, g.spec])).toEqual([['redis', { length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true, encoding: 'raw' }]]);
  });

  it('a PushSecret per credential writes the generated password once (IfNotExists) and never deletes it', () => {
    const pushes = of('PushSecret');
    expect(pushes.length).toBeGreaterThan(4);
    for (const p of pushes) {
      // pushsecret_controller.go:592-600: IfNotExists asks SecretExists first; the Vault provider answers from the entry's property (client_get.go:105-122).
      expect(p.spec.updatePolicy).toBe('IfNotExists');
      expect(p.spec.deletionPolicy).toBe('None');
      // pushsecret_types.go:149 (selector.generatorRef), resolved at pushsecret_controller.go:643-646.
      expect(p.spec.selector).toEqual({ generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: 'db-platform-password' } });
      expect(p.spec.secretStoreRefs).toEqual([{ kind: 'ClusterSecretStore', name: 'vault-platform-secrets' }]);
      expect(p.spec.data).toEqual([{ match: { secretKey: 'password', remoteRef: { remoteKey: expect.stringMatching(/^redis\//), property: 'password' } } }]);
    }
  });

  it("a tenant's login is filed under its namespace and delivered there with host, port, username, password, url and prefixes", () => {
    const es = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'wrongmove-redis')!;
    expect(es.metadata.namespace).toBe('realestate-crawler');
    expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'vault-tenant-secrets' });
    expect(es.spec.data).toEqual([{ secretKey: 'password', remoteRef: { key: 'redis/tenants/realestate-crawler/redis-v2-user-wrongmove', property: 'password' } }]);
    expect(es.spec.target.template.data).toEqual({
      host: 'redis-master.redis.svc.cluster.local',
      port: '6379',
      username: 'wrongmove',
      password: '{{ .password }}',
      url: 'redis://wrongmove:{{ .password | urlquery }}@redis-master.redis.svc.cluster.local:6379/0',
      prefixes: 'wrongmove:',
    });
    const server = objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'redis-v2-user-wrongmove')!;
    expect(server.metadata.namespace).toBe('redis');
    // The server's copy reads the whole entry: a rotated one also holds `previous` (rotation.test.ts).
    expect(server.spec.dataFrom).toEqual([{ extract: { key: es.spec.data[0].remoteRef.key } }]);
  });

  it('stores: only the server namespaces may write, only the tenant namespaces may read their own', () => {
    const store = (n: string) => objects.find((o) => o.kind === 'ClusterSecretStore' && o.metadata.name === n)!;
    expect(store('vault-platform-secrets').spec.conditions).toEqual([{ namespaces: ['redis'] }]);
    expect(store('vault-tenant-secrets').spec.conditions).toEqual([{ namespaces: ['immich', 'realestate-crawler'] }]);
    expect(store('vault-platform-secrets').spec.provider.vault).toMatchObject({ path: 'database-kv', version: 'v2' });
    const mount = objects.find((o) => o.kind === 'SecretEngineMount')!;
    expect(mount.spec).toMatchObject({ type: 'kv', options: { version: '2' } });
    // The operator's bootstrap policy allows sys/mounts/database* (README): the mount name must stay inside it.
    expect(mount.metadata.name.startsWith('database')).toBe(true);
  });

  it('refuses secrets: without vault:', () => {
    expect(checkSecrets(model(PLATFORM.replace('vault: {}\n', ''))).map((p) => p.message)).toEqual([expect.stringMatching(/no vault section/)]);
    expect(checkSecrets(model())).toEqual([]);
  });
});
