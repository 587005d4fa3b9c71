import { recommendedLabels, selectorLabels, type ComponentLabels } from '@db/core';
import type { MysqlModel } from './model.ts';

function parts(my: MysqlModel, component: string): ComponentLabels {
  return { name: 'mysql', instance: my.name, component, version: my.version };
}

export function mysqlLabels(my: MysqlModel, component: string): Record<string, string> {
  return recommendedLabels(parts(my, component));
}

/** Selector labels of pods the platform renders itself (stable across version bumps). */
export function mysqlSelector(my: MysqlModel, component: string): Record<string, string> {
  return selectorLabels(parts(my, component));
}

/**
 * Pods of the MySQL servers. Standalone: the StatefulSet's own labels. InnoDB Cluster: the
 * labels the MySQL Operator puts on server pods (`component: mysqld`) and router pods
 * (`component: mysqlrouter`).
 */
export function serverPods(my: MysqlModel): Record<string, string> {
  return my.topology === 'standalone' ? mysqlSelector(my, 'database') : { 'mysql.oracle.com/cluster': my.name, component: 'mysqld' };
}
export function routerPods(my: MysqlModel): Record<string, string> {
  return { 'mysql.oracle.com/cluster': my.name, component: 'mysqlrouter' };
}
/** Pods that accept tenant connections on the service port. */
export function frontPods(my: MysqlModel): Record<string, string> {
  return my.topology === 'standalone' ? serverPods(my) : routerPods(my);
}
export const backupPods = (my: MysqlModel) => mysqlSelector(my, 'backup');
export const provisionPods = (my: MysqlModel) => mysqlSelector(my, 'provisioning');
