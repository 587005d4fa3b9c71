/** Where the Vault engine comes in the GitOps order, and the operators its objects need. */
import { describe, expect, it } from 'vitest';
import { modelFromYaml as modelFromYamlOf } from '@db/core/testing';
import { vaultEngine } from '../src/engine.ts';
import { DATABASE_ENGINES, vault } from './helpers.ts';

/** A model checked against this package's schema (other engines' sections pass unchecked). */
const modelFromYaml = (text: string) => modelFromYamlOf(text, [...DATABASE_ENGINES, vault], { othersOpaque: true });

const model = (vault: string) =>
  modelFromYaml(`cluster: test
storage: { block: ceph-rbd }
backups: { nfs: { server: nfs.lan, path: /srv } }
monitoring: { pushgateway: "http://pgw:9091", runbookBaseUrl: "https://example.org/runbooks" }
tenants: []
vault: ${vault}
`);

describe('the Vault engine in delivery', () => {
  const engine = vaultEngine([]);

  it("comes last: tenants' secrets after the database servers and their provisioning", () => {
    expect(engine.phase).toBe('tenants');
  });

  it('needs External Secrets 2.9.0 and vault-config-operator 0.8.52, pointed at the Vault it configures', () => {
    const operators = engine.operators!(model('{ address: "http://vault.secrets.svc.cluster.local:8200" }'));
    expect(operators.map((o) => `${o.chart.name} ${o.chart.version} ${o.appVersion}`)).toEqual(['external-secrets 2.9.0 2.9.0', 'vault-config-operator 0.8.52 0.8.52']);
    expect(operators[1]!.values.env).toEqual([{ name: 'VAULT_ADDR', value: 'http://vault.secrets.svc.cluster.local:8200' }]);
    expect(engine.operators!(model('{ namespace: hashicorp }'))[1]!.values.env).toEqual([{ name: 'VAULT_ADDR', value: 'http://vault.hashicorp.svc.cluster.local:8200' }]);
  });
});
