/**
 * MySQL images, pinned in one place. Bumping one is a reviewed commit (database upgrades
 * need planning; the seeds pin MySQL in Terraform and opt it out of Diun).
 */
import type { PinnedImage } from '@db/core';

export type MysqlVersion = '8.4.4';

/** The Docker official image (Oracle Linux based; runs mysqld as uid 999). */
export const MYSQL_IMAGES: Readonly<Record<MysqlVersion, PinnedImage>> = {
  '8.4.4': { registry: 'docker.io', repository: 'library/mysql', tag: '8.4.4' },
};

/** Prometheus mysqld_exporter: reads its password from MYSQLD_EXPORTER_PASSWORD (0.15+). */
export const MYSQLD_EXPORTER_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'prom/mysqld-exporter', tag: 'v0.17.2' };

/**
 * InnoDB Cluster images. The MySQL Operator composes them as
 * `<spec.imageRepository>/community-server:<spec.version>` and
 * `<spec.imageRepository>/community-router:<spec.router.version>`, so they are pinned by
 * version and the repository follows `imageRegistry` (air-gapped mirrors).
 */
export const OPERATOR_SERVER_IMAGE: PinnedImage = { registry: 'container-registry.oracle.com', repository: 'mysql/community-server', tag: '8.4.4' };
export const OPERATOR_ROUTER_IMAGE: PinnedImage = { registry: 'container-registry.oracle.com', repository: 'mysql/community-router', tag: '8.4.4' };
