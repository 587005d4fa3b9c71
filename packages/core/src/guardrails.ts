/**
 * Guardrails: the seed outages as rules. A rule reads the rendered objects (and the model
 * for what only the input knows), and reports findings. An `error` refuses to render, a
 * `warning` prints. A finding can be waived for one object with a written reason, which
 * `withWaiverAnnotations` writes into that object as an annotation so the exception is visible
 * where it applies. Running the rules changes nothing.
 */
import type { PlatformModel } from './model.ts';
import type { CustomResourceFacts } from './engine.ts';
import type { Path } from './load.ts';
import type { Problem } from './problems.ts';
import { objectRef, type RenderedObject } from './objects.ts';

export type Severity = 'error' | 'warning';

export interface Finding {
  /** `Kind/namespace/name` of the object at fault. */
  readonly object: string;
  readonly message: string;
  /** Where in platform.yaml the setting comes from, for the error position. */
  readonly path?: Path;
}

/** Connections spent on a server, each named: `connectionNeeds([['backup', 1], ...])`. */
export interface ConnectionNeeds {
  readonly total: number;
  /** `backup 1, rotator 5`, for messages. */
  readonly parts: string;
}

export function connectionNeeds(parts: readonly (readonly [string, number])[]): ConnectionNeeds {
  return { total: parts.reduce((sum, [, n]) => sum + n, 0), parts: parts.map(([what, n]) => `${what} ${n}`).join(', ') };
}

/**
 * A shared server's connection budget: the finding when its tenants' limits, with what the
 * platform itself needs, add up to more than the server's maximum (none when no tenant has a
 * limit). It points at the last limited tenant's field.
 */
export function connectionBudgetFindings(budget: {
  /** `Kind/namespace/name` of the server. */
  readonly object: string;
  readonly max: number;
  /** The setting of platform.yaml that raises `max`, named in the message. */
  readonly maxSetting: string;
  readonly platform: ConnectionNeeds;
  readonly tenants: readonly { readonly limit: number | undefined; readonly path: Path }[];
}): Finding[] {
  const limited = budget.tenants.filter((t) => t.limit !== undefined);
  if (limited.length === 0) return [];
  const tenants = limited.reduce((sum, t) => sum + t.limit!, 0);
  if (tenants + budget.platform.total <= budget.max) return [];
  return [
    {
      object: budget.object,
      message: `the tenants' connection limits add up to ${tenants} and the platform needs ${budget.platform.total} (${budget.platform.parts}), more than max_connections ${budget.max}: lower a tenant's connectionLimit or raise ${budget.maxSetting}`,
      path: limited[limited.length - 1]!.path,
    },
  ];
}

export interface Rule {
  /** Stable kebab-case id, used by waivers. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule refuses. */
  readonly title: string;
  /** The seed incident behind the rule, quoted in every finding. */
  readonly reason: string;
  check(ctx: RuleContext): Finding[];
}

export interface RuleContext {
  readonly model: PlatformModel;
  readonly objects: readonly RenderedObject[];
  /** What the engines say about their custom resources (how to read the pods an operator makes). */
  readonly facts: CustomResourceFacts;
}

export const WAIVER_ANNOTATION_PREFIX = 'guardrails.db-platform.io/waived.';

export interface GuardrailReport {
  readonly errors: Problem[];
  readonly warnings: Problem[];
  readonly waived: { rule: string; object: string; reason: string }[];
  /** Problems with the waivers themselves (unknown rule, matching nothing). */
  readonly waiverProblems: Problem[];
}

/** Runs every rule, matches the waivers and sorts the findings into errors and warnings. */
export function runGuardrails(rules: readonly Rule[], ctx: RuleContext): GuardrailReport {
  const { model } = ctx;
  const waivers = model.input.waivers ?? [];
  const used = new Set<number>();
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const waived: GuardrailReport['waived'] = [];
  const byRef = new Map(ctx.objects.map((r) => [objectRef(r.object), r.object]));

  for (const rule of rules) {
    for (const f of rule.check(ctx)) {
      const w = waivers.findIndex((w) => w.rule === rule.id && w.object === f.object);
      if (w >= 0) {
        used.add(w);
        const waiver = waivers[w]!;
        waived.push({ rule: rule.id, object: f.object, reason: waiver.reason });
        continue;
      }
      const problem = model.source.problem(
        f.path ?? [],
        `[${rule.id}] ${f.object}: ${f.message}`,
        `${rule.reason} To accept it for this object, add to waivers: { rule: ${rule.id}, object: ${f.object}, reason: "..." }`,
      );
      (rule.severity === 'error' ? errors : warnings).push(problem);
    }
  }

  const known = new Set(rules.map((r) => r.id));
  const waiverProblems: Problem[] = [];
  waivers.forEach((w, i) => {
    if (!known.has(w.rule)) {
      waiverProblems.push(model.source.problem(['waivers', i, 'rule'], `unknown guardrail "${w.rule}"`, `known guardrails: ${[...known].sort().join(', ')}`));
    } else if (!used.has(i)) {
      waiverProblems.push(
        model.source.problem(
          ['waivers', i],
          `waiver for ${w.rule} on ${w.object} matches no finding`,
          byRef.has(w.object) ? 'the object complies now: remove the waiver' : `no rendered object is named ${w.object}`,
        ),
      );
    }
  });
  return { errors, warnings, waived, waiverProblems };
}

/** The objects with each waived finding's reason as an annotation on its object (new objects for those; the input is not changed). */
export function withWaiverAnnotations<T extends { readonly object: RenderedObject['object'] }>(objects: readonly T[], waived: GuardrailReport['waived']): T[] {
  if (waived.length === 0) return [...objects];
  return objects.map((r) => {
    const ref = objectRef(r.object);
    const mine = waived.filter((w) => w.object === ref);
    if (mine.length === 0) return r;
    let annotations = r.object.metadata.annotations;
    for (const w of mine) annotations = { ...annotations, [`${WAIVER_ANNOTATION_PREFIX}${w.rule}`]: w.reason };
    return { ...r, object: { ...r.object, metadata: { ...r.object.metadata, annotations } } };
  });
}
