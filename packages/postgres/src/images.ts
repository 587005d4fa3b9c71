/**
 * PostgreSQL operand and pooler images, pinned in one place. Bumping one is a reviewed
 * commit; the `unpinned-image` guardrail refuses floating tags.
 */
import type { PinnedImage } from '@db/core';

/** CNPG PostGIS images (cloudnative-pg/postgis-containers); built up to PostgreSQL 17. */
export const POSTGIS_IMAGES: Readonly<Record<16 | 17, PinnedImage>> = {
  16: { registry: 'ghcr.io', repository: 'cloudnative-pg/postgis', tag: '16-3.4-49' },
  17: { registry: 'ghcr.io', repository: 'cloudnative-pg/postgis', tag: '17-3.4-49' },
};

/** CNPG standard operand images (cloudnative-pg/postgres-containers). */
export const POSTGRES_IMAGES: Readonly<Record<16 | 17 | 18, PinnedImage>> = {
  16: { registry: 'ghcr.io', repository: 'cloudnative-pg/postgresql', tag: '16.11-standard-bookworm' },
  17: { registry: 'ghcr.io', repository: 'cloudnative-pg/postgresql', tag: '17.7-standard-bookworm' },
  18: { registry: 'ghcr.io', repository: 'cloudnative-pg/postgresql', tag: '18.1-standard-trixie' },
};

export const PGBOUNCER_IMAGE: PinnedImage = { registry: 'ghcr.io', repository: 'cloudnative-pg/pgbouncer', tag: '1.24.1' };
