import type { Issue } from '../records/issues.js';

// Every issue of an import is counted; only the first maxIssues are kept for the report
// (SPEC §3 --max-issues), so a file with a million bad lines does not fill the memory.
// Records with errors are tracked by line, to reject them (--max-errors) and to count them.

export class IssueLog {
  errors = 0;
  warnings = 0;
  truncated = false;
  private readonly kept: Issue[] = [];

  constructor(private readonly maxIssues: number) {}

  add(issue: Issue): void {
    if (issue.severity === 'error') this.errors++;
    else this.warnings++;
    if (this.kept.length < this.maxIssues) this.kept.push(issue);
    else this.truncated = true;
  }

  addAll(issues: Iterable<Issue>): void {
    for (const i of issues) this.add(i);
  }

  /** Kept issues, by line (issues of no line last), in the order found within a line. */
  list(): Issue[] {
    return this.kept
      .map((issue, i) => ({ issue, i }))
      .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.i - b.i)
      .map((x) => x.issue);
  }
}
