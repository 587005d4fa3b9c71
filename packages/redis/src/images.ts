/**
 * Redis, exporter and HAProxy images, pinned in one place. Bumping one is a reviewed commit;
 * the `unpinned-image` guardrail refuses floating tags (Keel once patch-bumped Redis to an
 * image that rejected the AOF config).
 */
import type { PinnedImage } from '@db/core';

/** `redis:8-alpine` as the seeds ran it, pinned to the full tag (8.6.2). */
export const REDIS_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'library/redis', tag: '8.6.2-alpine' };
/** The same release on Debian, for the backup job (core's backup script needs bash). */
export const REDIS_BACKUP_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'library/redis', tag: '8.6.2-bookworm' };
export const REDIS_EXPORTER_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'oliver006/redis_exporter', tag: 'v1.62.0' };
export const HAPROXY_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'library/haproxy', tag: '3.0.10-alpine' };

/** UIDs the images run as: `redis` in the alpine image, the exporter's, `haproxy` in its alpine image. */
export const REDIS_UID = 999;
export const EXPORTER_UID = 59000;
export const HAPROXY_UID = 99;
