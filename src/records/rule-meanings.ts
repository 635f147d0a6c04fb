import type { RuleCode } from './issues.js';

// What each rule code of SPEC §3 means, in the words of its table: the sentence a clerk
// reads above a group of issues. Written once, here; every code the spec lists has one
// (the codes of applications too, whether or not this build checks them yet).

export const RULE_MEANINGS = {
  'header-missing-column': 'A required column is not in the header.',
  'header-unknown-column': 'A column that is no field (the message names the closest known one).',
  'header-duplicate-column': 'A column is named twice in the header.',
  'malformed-record': 'CSV syntax is broken (an unclosed quote, a wrong number of cells), or a line is not a JSON object.',
  'encoding-error': 'Bytes that are not valid in the file\'s encoding.',
  'missing-value': 'A required field is empty.',
  'type-error': 'Not a number, whole number or date where one is needed.',
  'pattern-mismatch': 'An identifier, tax number, URL, e-mail address or phone number is malformed.',
  'enum-mismatch': 'A value outside its set (the message lists the allowed values).',
  'out-of-range': 'A number out of its range, or a text too long.',
  'date-order': 'Dates in the wrong order: effective_to before effective_from.',
  'fee-conflict': 'Both fee_uzs and fee_bhm_percent are set; a service has one fee or the other.',
  'duplicate-key': 'The same code (or tax number) appears more than once: every line is reported.',
  'unknown-reference': 'agency_code or parent_code names no agency.',
  'hierarchy-cycle': 'The chain of parent agencies loops back on itself.',
  'missing-legal-basis': 'An active service without legal_basis or effective_from.',
  'key-exists': 'With --mode insert: the code is already in the database.',
  'missing-translation': 'name_ru is empty.',
  'missing-fee': 'An active service with neither fee field.',
  'expired-but-active': 'An active service whose effective_to date has passed.',
  'inactive-authority': 'An active service of an abolished agency.',
  'formula-like-value': 'A free-text value starts with =, +, - or @, which a spreadsheet may run as a formula.',
  'unused-agency': 'An active agency that provides no service (database only).',
  'audience-mismatch': 'An application\'s audience is not in its service\'s audience.',
  'channel-mismatch': 'An application\'s channel is not in its service\'s channels.',
} as const;

// Every code the validator can emit has a meaning: adding a rule without one fails the build.
const everyRule: Record<RuleCode, string> = RULE_MEANINGS;
void everyRule;

export function ruleMeaning(code: string): string | null {
  return (RULE_MEANINGS as Record<string, string>)[code] ?? null;
}
