/**
 * Every engine the platform is made of, in output order: the one place that names them
 * (@db/platform composes whatever this list holds). A new engine is a new package and one
 * line here. Vault comes last: it rotates the passwords of every database engine that
 * declares `credentials`, and (`secrets`) generates every credential an engine declares in
 * `generatedSecrets`.
 */
import type { Engine, RuleHistory } from '@db/core';
import { postgresEngine } from '@db/postgres';
import { mysqlEngine } from '@db/mysql';
import { redisEngine } from '@db/redis';
import { sqliteEngine } from '@db/sqlite';
import { secretsEngine } from '@db/secrets';
import { vaultEngine } from '@db/vault';

const DATABASE_ENGINES: readonly Engine[] = [postgresEngine, mysqlEngine, redisEngine, sqliteEngine];

export const ENGINES: readonly Engine[] = [...DATABASE_ENGINES, vaultEngine(DATABASE_ENGINES), secretsEngine(DATABASE_ENGINES)];

/** The seed incidents behind the shared guardrails, as the generated docs and the refusals tell them. */
export const RULE_HISTORY: RuleHistory = {
  'nfs-database-volume': {
    title: 'No database or SQLite volume on an NFS storage class',
    reason: 'NFS lacks a reliable fsync(): SQLite databases on NFS were corrupted under load, and every database here moved to block storage (Proxmox LVM).',
  },
  'database-on-gpu-node': {
    reason:
      'MySQL pods landed on k8s-node1, the GPU node, when the anti-affinity rule was missing; and on a simulated copy of prod every backup, provisioning and push Job landed there too. Pods are excluded by a required node affinity.',
  },
  'unpinned-image': {
    reason: 'Database upgrades need planning: a floating tag upgrades on the next pod restart (Redis once ran "Latest"; a 7.4 replica could not read 8.6.2\'s RDB format 13).',
  },
  'image-update-opt-out': {
    reason: 'Keel patch-bumped Redis to 8.0.6-alpine, which rejected the AOF config and crash-looped; database images change only through a reviewed commit.',
  },
};
