import { recommendedLabels } from '@db/core';

export function vaultLabels(component: string, instance = 'vault-database'): Record<string, string> {
  return recommendedLabels({ name: 'vault-database', instance, component });
}
