import { recommendedLabels, selectorLabels, type ComponentLabels } from '@db/core';
import type { RedisModel } from './model.ts';

const component = (redis: RedisModel, c: string): ComponentLabels => ({
  name: c === 'proxy' ? 'haproxy' : 'redis',
  instance: redis.name,
  component: c,
  version: c === 'proxy' ? undefined : redis.imageTag,
});

/** Recommended labels. Data pods are `database` (standalone) or `sentinel` (HA), which core's rules treat as data workloads. */
export function redisLabels(redis: RedisModel, c: string): Record<string, string> {
  return recommendedLabels(component(redis, c));
}
export const dataComponent = (redis: RedisModel) => (redis.topology === 'sentinel' ? 'sentinel' : 'database');
export const dataPods = (redis: RedisModel) => selectorLabels(component(redis, dataComponent(redis)));
export const proxyPods = (redis: RedisModel) => selectorLabels(component(redis, 'proxy'));
export const backupPods = (redis: RedisModel) => ({ 'app.kubernetes.io/instance': redis.name, 'app.kubernetes.io/component': 'backup' });
