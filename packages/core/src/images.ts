/**
 * Image references. Every image is pinned in one catalogue per engine (kube-prometheus
 * style) and resolved here against the cluster's mirror, so an air-gapped cluster changes
 * one field, `imageRegistry`, and every image follows.
 */

export interface PinnedImage {
  /** Upstream registry, e.g. `ghcr.io`. */
  readonly registry: string;
  /** Repository path, e.g. `cloudnative-pg/postgis`. */
  readonly repository: string;
  /** Immutable tag. */
  readonly tag: string;
}

/**
 * curl (POSIX sh, awk and curl; runs as uid 100): the platform's small jobs that talk HTTP
 * (Vault's push-password job, Argo CD's health-check hook) share one pin.
 */
export const CURL_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'curlimages/curl', tag: '8.11.1' };
/** uid of `curl_user` in the curl image. */
export const CURL_UID = 100;

/** `registry/repository:tag`, with the registry replaced by the mirror when one is set. */
export function imageRef(image: PinnedImage, mirror: string | undefined): string {
  return `${mirror ?? image.registry}/${image.repository}:${image.tag}`;
}

export function withOverride(image: PinnedImage, override: { repository: string; tag: string } | undefined): PinnedImage {
  return override ? { registry: image.registry, repository: override.repository, tag: override.tag } : image;
}

/**
 * Whether a reference names one immutable image: a digest, or a tag that carries at least
 * major.minor (`16-3.4-49`, `8.6.2-alpine`). `latest`, no tag, or a bare major (`16`,
 * `8-alpine`) move under you.
 */
export function isPinnedReference(ref: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(ref)) return true;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  if (colon < 0) return false;
  const tag = ref.slice(colon + 1);
  if (/^latest$/i.test(tag) || /(^|[-_.])latest($|[-_.])/i.test(tag)) return false;
  return /\d+\.\d+/.test(tag);
}
