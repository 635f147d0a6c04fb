import type { Issue, Severity } from '../../records/issues.js';

// The issue codes of SPEC §9, in the issue shape of §3. `malformed-record` (§3) is used for
// a line of the log file that cannot be read as an entry: bad JSON, not canonical, cut short.

export const LOG_RULES = {
  'log-gap': 'error',
  'item-mismatch': 'error',
  'root-mismatch': 'error',
  'bad-signature': 'error',
  'log-drift': 'error',
  'audit-chain-broken': 'error',
  'malformed-record': 'error',
} as const satisfies Record<string, Severity>;

export type LogRuleCode = keyof typeof LOG_RULES;

/** An issue of §9: the issue of §3 with the log's codes (`line` is the log's or, for log-drift, the snapshot's; null for a checkpoint). */
export type LogIssue = Issue<LogRuleCode>;

export function logIssue(code: LogRuleCode, line: number | null, key: string | null, field: string | null, value: string | null, message: string): LogIssue {
  return { severity: LOG_RULES[code], code, line, key, field, value, message };
}

/** Counts always complete, the list capped (SPEC §3 --max-issues). */
export class LogIssues {
  errors = 0;
  warnings = 0;
  readonly list: LogIssue[] = [];
  constructor(private readonly max: number) {}
  add(i: LogIssue): void {
    if (i.severity === 'error') this.errors++;
    else this.warnings++;
    if (this.list.length < this.max) this.list.push(i);
  }
  get truncated(): boolean {
    return this.errors + this.warnings > this.list.length;
  }
}
