// The validation report of SPEC §3, and the accumulator that builds it: counts are always
// complete, the list of issues is capped (--max-issues) and ordered by line.
import type { EntityName } from './fields.js';
import type { Issue } from './issues.js';

export interface ValidationReport {
  valid: boolean;
  entity: EntityName;
  source: string;
  records: number;
  errors: number;
  warnings: number;
  truncated: boolean;
  issues: Issue[];
}

export const DEFAULT_MAX_ISSUES = 1000;

/** By line (issues without a line last), then record number; equal ones keep their order. */
export function compareIssues(a: Issue, b: Issue): number {
  const la = a.line ?? Number.MAX_SAFE_INTEGER;
  const lb = b.line ?? Number.MAX_SAFE_INTEGER;
  if (la !== lb) return la - lb;
  return (a.record ?? 0) - (b.record ?? 0);
}

/** XLSX (SPEC §11): the issue names its cell, after its line; only kept issues pay for it. */
function withCellOf(i: Issue, cellOf: (line: number, field: string | null) => string | null): Issue {
  if (i.cell !== undefined || i.line === null) return i;
  const cell = cellOf(i.line, i.field);
  if (cell === null) return i;
  const { severity, code, line, ...rest } = i;
  return { severity, code, line, cell, ...rest };
}

export class ReportBuilder {
  records = 0;
  errors = 0;
  warnings = 0;
  private kept: Issue[] = [];
  private readonly maxIssues: number;
  private readonly strict: boolean;

  private readonly cellOf: ((line: number, field: string | null) => string | null) | undefined;

  constructor(
    private readonly entity: EntityName,
    private readonly source: string,
    opts: { maxIssues?: number; strict?: boolean; cellOf?: (line: number, field: string | null) => string | null } = {},
  ) {
    this.maxIssues = Math.max(0, opts.maxIssues ?? DEFAULT_MAX_ISSUES);
    this.strict = opts.strict ?? false;
    this.cellOf = opts.cellOf;
  }

  get total(): number {
    return this.errors + this.warnings;
  }

  add(i: Issue): void {
    if (i.severity === 'error') this.errors++;
    else this.warnings++;
    this.kept.push(i);
    // Issues arrive mostly, not entirely, in line order (whole-file ones come last): keep
    // the lowest lines, pruning now and then so that a file of errors stays small.
    if (this.kept.length >= 2 * this.maxIssues + 1024) this.prune();
  }

  addAll(list: readonly Issue[]): void {
    for (const i of list) this.add(i);
  }

  private prune(): void {
    this.kept.sort(compareIssues);
    if (this.kept.length > this.maxIssues) this.kept.length = this.maxIssues;
  }

  build(): ValidationReport {
    this.prune();
    return {
      valid: this.errors === 0 && !(this.strict && this.warnings > 0),
      entity: this.entity,
      source: this.source,
      records: this.records,
      errors: this.errors,
      warnings: this.warnings,
      truncated: this.total > this.kept.length,
      issues: this.cellOf ? this.kept.map((i) => withCellOf(i, this.cellOf!)) : this.kept.slice(),
    };
  }
}
