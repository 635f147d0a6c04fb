// The issue of SPEC.md §3: every problem found in a file or in the database.

export type Severity = 'error' | 'warning';

export const RULES = {
  'header-missing-column': 'error',
  'header-unknown-column': 'error',
  'header-duplicate-column': 'error',
  'malformed-record': 'error',
  'encoding-error': 'error',
  'missing-value': 'error',
  'type-error': 'error',
  'pattern-mismatch': 'error',
  'enum-mismatch': 'error',
  'out-of-range': 'error',
  'date-order': 'error',
  'fee-conflict': 'error',
  'duplicate-key': 'error',
  'unknown-reference': 'error',
  'hierarchy-cycle': 'error',
  'missing-legal-basis': 'error',
  'key-exists': 'error',
  'missing-translation': 'warning',
  'missing-fee': 'warning',
  'expired-but-active': 'warning',
  'inactive-authority': 'warning',
  'formula-like-value': 'warning',
  'unused-agency': 'warning',
  'audience-mismatch': 'warning',
  'channel-mismatch': 'warning',
} as const satisfies Record<string, Severity>;

export type RuleCode = keyof typeof RULES;

/** One issue; `C`, the codes it may have: the rules of §3, or another set of the same shape (the log's, §9). */
export interface Issue<C extends string = RuleCode> {
  severity: Severity;
  code: C;
  /** 1-based line of the file where the record starts; null for database records */
  line: number | null;
  /** 1-based record number inside a JSON array (SPEC §2) */
  record?: number;
  /** the spreadsheet cell, like "F17" (XLSX, SPEC §11) */
  cell?: string;
  /** the record's code, when known */
  key: string | null;
  field: string | null;
  /** the offending value as given (text), when there is one */
  value: string | null;
  message: string;
}

export function issue(
  code: RuleCode,
  at: { line: number | null; record?: number; key?: string | null },
  field: string | null,
  value: string | null,
  message: string,
): Issue {
  const out: Issue = { severity: RULES[code], code, line: at.line, key: at.key ?? null, field, value, message };
  if (at.record !== undefined) out.record = at.record;
  return out;
}
