/**
 * Validated input → the platform model every engine reads: the shared settings with their
 * defaults filled in once, here. Engines resolve their own section the same way.
 */
import { SHARED_DEFAULTS as D, type PlatformInput, type TenantBase } from './schema.ts';
import type { SourceMap } from './load.ts';
import { resolveRestores, type RestoreModel } from './restore.ts';

export interface TenantModel extends TenantBase {
  /** The tenant's field of each engine (keyed by the engine's id), as written: each engine reads its own. */
  readonly [engineField: string]: unknown;
  readonly namespace: string;
  /** Index in `tenants`, for error positions. */
  readonly index: number;
}

/**
 * What add-ons provide to the engines, worked out from the add-ons' own sections before the
 * engines resolve: an engine reads these, never an add-on's section.
 */
export interface Services {
  /** A rotator is configured: every engine whose passwords it rotates creates this login for it. */
  readonly credentialRotation?: { readonly login: string };
  /** A generator is configured: every engine's `generatedSecrets` are made in the cluster, none by hand (`kvMount`: where it keeps them; `rotationPeriod`: how often a rotated one changes unless its tenant says otherwise). */
  readonly secretGeneration?: { readonly by: string; readonly kvMount: string; readonly rotationPeriod: string };
}

export interface PlatformModel {
  readonly cluster: string;
  /** Mirror every image is pulled from, or undefined for upstream registries. */
  readonly imageRegistry: string | undefined;
  readonly storage: { readonly block: string; readonly encrypted: string; readonly nfs: readonly string[] };
  readonly backups: { readonly nfs: { readonly server: string; readonly path: string } };
  readonly avoidNodes: readonly string[];
  readonly monitoring: {
    readonly namespace: string;
    readonly prometheusSelector: Readonly<Record<string, string>>;
    readonly prometheusPodLabels: Readonly<Record<string, string>>;
    readonly pushgateway: string;
    readonly runbookBaseUrl: string;
    /** Where the Grafana dashboards go, and the label the Grafana sidecar loads them by. */
    readonly dashboards: { readonly namespace: string; readonly label: string; readonly labelValue: string };
  };
  readonly network: {
    readonly apiServerPorts: readonly number[];
    readonly dnsNamespace: string;
    readonly dnsPodLabels: Readonly<Record<string, string>>;
    /** `network.operatorNamespaces.<key>`: keys and defaults come from the engines that need an operator namespace. */
    readonly operatorNamespaces: Readonly<Record<string, string>>;
  };
  readonly tenants: readonly TenantModel[];
  /** The `restores:` entries, each with its hash (see restore.ts). */
  readonly restores: readonly RestoreModel[];
  readonly services: Services;
  readonly input: PlatformInput;
  readonly source: SourceMap;
}

/** `operatorNamespaceDefaults`: the engines' `network.operatorNamespaces` keys with their defaults. */
export function resolvePlatform(input: PlatformInput, source: SourceMap, operatorNamespaceDefaults: Readonly<Record<string, string>> = {}, services: Services = {}): PlatformModel {
  return {
    cluster: input.cluster,
    imageRegistry: input.imageRegistry,
    storage: {
      block: input.storage.block,
      encrypted: input.storage.encrypted ?? input.storage.block,
      nfs: input.storage.nfs ?? [],
    },
    backups: input.backups,
    avoidNodes: input.scheduling?.avoidNodes ?? [],
    monitoring: {
      namespace: input.monitoring.namespace ?? D.monitoring.namespace,
      prometheusSelector: input.monitoring.prometheusSelector ?? D.monitoring.prometheusSelector,
      prometheusPodLabels: input.monitoring.prometheusPodLabels ?? D.monitoring.prometheusPodLabels,
      pushgateway: input.monitoring.pushgateway,
      runbookBaseUrl: input.monitoring.runbookBaseUrl,
      dashboards: {
        namespace: input.monitoring.dashboards?.namespace ?? input.monitoring.namespace ?? D.monitoring.namespace,
        label: input.monitoring.dashboards?.label ?? D.monitoring.dashboards.label,
        labelValue: input.monitoring.dashboards?.labelValue ?? D.monitoring.dashboards.labelValue,
      },
    },
    network: {
      apiServerPorts: input.network?.apiServerPorts ?? D.network.apiServerPorts,
      dnsNamespace: input.network?.dnsNamespace ?? D.network.dnsNamespace,
      dnsPodLabels: input.network?.dnsPodLabels ?? D.network.dnsPodLabels,
      operatorNamespaces: { ...operatorNamespaceDefaults, ...input.network?.operatorNamespaces },
    },
    tenants: input.tenants.map((t, index) => ({ ...t, namespace: t.namespace ?? t.name, index })),
    restores: resolveRestores(input.restores),
    services,
    input,
    source,
  };
}

/**
 * `resolve` run once per model: an engine resolves its section into its model the first time
 * any hook asks, and every later hook (check, build, alerts, docs, credentials) gets the same,
 * frozen value. A model is immutable, so its resolution never changes.
 */
export function resolvedOnce<T>(resolve: (model: PlatformModel) => T): (model: PlatformModel) => T {
  const cache = new WeakMap<PlatformModel, T>();
  return (model) => {
    if (cache.has(model)) return cache.get(model) as T;
    const value = Object.freeze(resolve(model));
    cache.set(model, value);
    return value;
  };
}
