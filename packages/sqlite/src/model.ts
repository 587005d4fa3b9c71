/** The `sqlite:` section resolved: one volume per app, its namespace and storage class defaulted. */
import { resolvedOnce, type PlatformModel } from '@db/core';
import { sqliteSection } from './schema.ts';

export interface SqliteVolumeProps {
  readonly app: string;
  readonly namespace: string;
  readonly size: string;
  readonly storageClass: string;
}

/** The volumes, resolved once per platform model. */
export const sqliteVolumes = resolvedOnce((model: PlatformModel): SqliteVolumeProps[] =>
  (sqliteSection(model.input) ?? []).map((s) => ({ app: s.app, namespace: s.namespace ?? s.app, size: s.size, storageClass: s.storageClass ?? model.storage.block })),
);
