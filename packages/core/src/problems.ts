/**
 * A user mistake: where it is and what to do about it. Problems are collected, never
 * thrown one at a time, so a run reports every mistake at once.
 */
export interface Problem {
  /** File the problem is in, relative to the working directory. */
  readonly file: string;
  /** 1-based line and column; 0 when the problem has no position (a missing file). */
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field, e.g. `tenants[3].example.bucket`. Empty for the document. */
  readonly field: string;
  readonly message: string;
  readonly hint?: string;
}

/** Thrown when input is refused; carries every problem found. The CLI prints them without a stack. */
export class PlatformInputError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the desired state:\n${formatProblems(problems)}`);
    this.name = 'PlatformInputError';
  }
}

export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  const field = p.field ? ` ${p.field}:` : '';
  const hint = p.hint ? `\n    hint: ${p.hint}` : '';
  return `  ${where}:${field} ${p.message}${hint}`;
}

export function formatProblems(problems: readonly Problem[]): string {
  return [...problems]
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.field.localeCompare(b.field))
    .map(formatProblem)
    .join('\n');
}

/** `tenants[3].example` → `['tenants', 3, 'example']`: the inverse of fieldPath. */
export function parseFieldPath(field: string): (string | number)[] {
  return field === '' ? [] : field.split(/\.|(?=\[)/).map((step) => (step.startsWith('[') ? Number(step.slice(1, -1)) : step));
}

/** `['tenants', 3, 'example']` → `tenants[3].example` */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}
