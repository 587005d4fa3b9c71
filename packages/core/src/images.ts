import { createHash } from 'node:crypto';

/**
 * Image references. Every image is pinned in one catalogue per engine (kube-prometheus
 * style) and resolved here against the cluster's mirror, so an air-gapped cluster changes
 * one field, `imageRegistry`, and every image follows.
 */

export interface PinnedImage {
  /** Upstream registry, e.g. `ghcr.io`. */
  readonly registry: string;
  /** Repository path, e.g. `library/example`. */
  readonly repository: string;
  /** Immutable tag. */
  readonly tag: string;
}

/**
 * curl (POSIX sh, awk and curl; runs as uid 100): the platform's small jobs that talk HTTP
 * (a password push job, Argo CD's health-check hook) share one pin.
 */
export const CURL_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'curlimages/curl', tag: '8.11.1' };
/** uid of `curl_user` in the curl image. */
export const CURL_UID = 100;

/** The registry part of an image reference (Docker's rule: a first path part with a dot or a port, or localhost). */
export const REGISTRY_PREFIX = /^((?:[a-z0-9-]+\.)+[a-z0-9-]+(?::[0-9]+)?|[a-z0-9-]+:[0-9]+|localhost)\//;

/** `repository:tag` of a reference, whatever registry serves it. */
export function withoutRegistry(ref: string): string {
  return ref.replace(REGISTRY_PREFIX, '');
}

/**
 * A short content hash of what an object runs, the same whichever registry mirror serves
 * its images (the bytes are the same): for names of objects whose spec is immutable, such as
 * one-shot Jobs, so a change of content is a new object and a mirror switch is not.
 */
export function runHash(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(JSON.stringify(p, (k, v) => (k === 'image' && typeof v === 'string' ? withoutRegistry(v) : v))).update('\0');
  return h.digest('hex').slice(0, 8);
}

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
