/** What the generated docs say about SQLite volumes. */
import type { EngineDocs, PlatformModel } from '@db/core';
import { sqliteVolumes } from './model.ts';
import { sqliteClaimName } from './volume.ts';

export function sqliteDocs(model: PlatformModel): EngineDocs {
  const volumes = sqliteVolumes(model);
  return {
    title: 'SQLite',
    summary:
      "One PersistentVolumeClaim per app, in the app's namespace, on block storage: never NFS, whose unreliable fsync() corrupted SQLite databases. " +
      'Claims are never pruned or deleted by a sync. The platform does not back them up: the apps own their data.',
    endpoints: [],
    users: volumes.map((v) => ({
      tenant: v.app,
      namespace: v.namespace,
      what: `claim \`${sqliteClaimName(v.app)}\`, ${v.size} on \`${v.storageClass}\``,
      connectsTo: '(mounted volume)',
      node: 'sqlite_volumes',
    })),
    credentials: [],
    backups: [],
    graph: { nodes: [{ id: 'sqlite_volumes', label: `SQLite volumes x${volumes.length}<br/>block storage, never NFS` }], edges: [] },
  };
}
