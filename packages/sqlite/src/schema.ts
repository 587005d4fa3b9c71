/** The `sqlite:` section of platform.yaml: one volume per app. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, DnsLabel, Quantity } from '@db/core';

export const SqliteVolume = Closed({
  app: DnsLabel('App that owns the SQLite volume.'),
  namespace: Type.Optional(DnsLabel('@default the app name')),
  size: Quantity('Volume size.'),
  storageClass: Type.Optional(DnsLabel('@default storage.block (never NFS: SQLite needs a reliable fsync)')),
});

export const SqliteSection = Type.Array(SqliteVolume, { description: 'Per-app SQLite volumes on block storage.' });
export type SqliteInput = Static<typeof SqliteSection>;

/** The `sqlite:` section of a validated desired state, typed (the platform validated it against this schema). */
export const sqliteSection = (input: { readonly [section: string]: unknown }): SqliteInput | undefined => input.sqlite as SqliteInput | undefined;
