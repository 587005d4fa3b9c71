/**
 * Kubernetes recommended labels and the annotations that keep image-update bots away from
 * databases (Keel once patch-bumped a database to an image that rejected its own config).
 */

export const MANAGED_BY = 'db-platform';
export const PART_OF = 'db-platform';

export interface ComponentLabels {
  /** `app.kubernetes.io/name`: the software, e.g. `example-kv`. */
  readonly name: string;
  /** `app.kubernetes.io/instance`: this installation, e.g. `example`. */
  readonly instance: string;
  /** `app.kubernetes.io/component`: its role, e.g. `database`, `backup`, `proxy`. */
  readonly component: string;
  /** `app.kubernetes.io/version`, when the object runs one pinned version. */
  readonly version?: string;
}

export function recommendedLabels(l: ComponentLabels): Record<string, string> {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': l.name,
    'app.kubernetes.io/instance': l.instance,
    'app.kubernetes.io/component': l.component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
  if (l.version !== undefined) labels['app.kubernetes.io/version'] = l.version;
  return labels;
}

/** The labels a selector may use: stable across version bumps. */
export function selectorLabels(l: ComponentLabels): Record<string, string> {
  return { 'app.kubernetes.io/name': l.name, 'app.kubernetes.io/instance': l.instance, 'app.kubernetes.io/component': l.component };
}

/**
 * Labels for what never changes after creation, such as a StatefulSet's claim templates (an
 * immutable field): the recommended labels without the version, so a version bump stays an
 * in-place update.
 */
export function versionlessLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const { 'app.kubernetes.io/version': _version, ...rest } = labels;
  return rest;
}

/**
 * Opt-outs for image-update bots. Keel reads a label or an annotation depending on its
 * version, so both are set; Diun reads an annotation.
 */
export const PIN_ANNOTATIONS: Readonly<Record<string, string>> = {
  'keel.sh/policy': 'never',
  'diun.enable': 'false',
};
export const PIN_LABELS: Readonly<Record<string, string>> = {
  'keel.sh/policy': 'never',
};

/** True when the metadata carries every image-update opt-out. */
export function isPinned(labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined): boolean {
  return Object.entries(PIN_ANNOTATIONS).every(([k, v]) => annotations?.[k] === v) && Object.entries(PIN_LABELS).every(([k, v]) => labels?.[k] === v);
}
