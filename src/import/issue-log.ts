import type { EntityName } from '../records/fields.js';
import type { Issue } from '../records/issues.js';
import { ReportBuilder } from '../records/report.js';

// Every issue of an import is counted; only the first --max-issues (by line) are kept, the
// way `validate` keeps them (the same ReportBuilder), so a file with a million bad lines
// does not fill the memory. Errors are also counted by code, for the one-line summary.

export class IssueLog {
  private readonly builder: ReportBuilder;
  readonly errorCodes = new Map<string, number>();

  constructor(entity: EntityName, source: string, maxIssues: number, cellOf?: (line: number, field: string | null) => string | null) {
    this.builder = new ReportBuilder(entity, source, { maxIssues, cellOf });
  }

  add(i: Issue): void {
    this.builder.add(i);
    if (i.severity === 'error') this.errorCodes.set(i.code, (this.errorCodes.get(i.code) ?? 0) + 1);
  }

  addAll(list: Iterable<Issue>): void {
    for (const i of list) this.add(i);
  }

  get errors(): number {
    return this.builder.errors;
  }

  result(): { errors: number; warnings: number; truncated: boolean; issues: Issue[] } {
    const r = this.builder.build();
    return { errors: r.errors, warnings: r.warnings, truncated: r.truncated, issues: r.issues };
  }

  /** "3 errors (2 type-error, 1 key-exists)" */
  describe(): string {
    const n = this.builder.errors;
    const parts = [...this.errorCodes].map(([c, k]) => `${k} ${c}`);
    return `${n} error${n === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`;
  }
}
