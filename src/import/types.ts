import type { EntityName } from '../records/fields.js';
import type { Issue } from '../records/issues.js';
import type { Encoding } from '../text/decode.js';
import type { Logger } from '../output/logger.js';
import type { Prompter } from '../prompts/prompter.js';
import type { Progress } from '../output/progress.js';

// The options and the report of one import (SPEC §4, §8). The report's field names are the
// contract; fields after duration_ms are additions SPEC §8 allows.

/** What an import needs from around it (the command, or a test). */
export interface ImportEnv {
  logger: Logger;
  prompter: Prompter;
  signal: AbortSignal;
  yes: boolean;
  dataDir: string;
  stdin?: NodeJS.ReadableStream;
  progress?: Progress;
  /** for tests: the clock of updated_at */
  now?: () => Date;
}

export type ImportMode = 'upsert' | 'insert' | 'replace';
export const IMPORT_MODES: readonly ImportMode[] = ['upsert', 'insert', 'replace'];

export interface ImportOptions {
  entity: EntityName;
  /** '-' = standard input */
  path: string;
  mode: ImportMode;
  dryRun: boolean;
  /** bad records that may be skipped; 0 = any error fails the import */
  maxErrors: number;
  rejectFile?: string;
  maxIssues: number;
  format?: 'csv' | 'json' | 'ndjson' | 'xlsx';
  /** XLSX: the worksheet to read (default the first) */
  sheet?: string;
  encoding?: Encoding;
  delimiter?: ',' | ';' | '\t';
  /** applications: the registry's time zone (IANA name) deadlines are counted in; default Asia/Tashkent */
  timeZone?: string;
  /** replace: where the deleted records go; null = --no-backup; undefined = the data directory */
  backup?: string | null;
}

export interface ImportReport {
  entity: EntityName;
  source: string;
  mode: ImportMode;
  dry_run: boolean;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  rejected: number;
  errors: number;
  warnings: number;
  issues: Issue[];
  duration_ms: number;
  truncated: boolean;
  target: string;
  /** replace: the backup of the deleted records, when one was written */
  backup: string | null;
  reject_file: string | null;
}

export const EMPTY_COUNTS = { inserted: 0, updated: 0, unchanged: 0, deleted: 0 } as const;
