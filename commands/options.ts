import type { Command } from 'commander';
import { CommanderError, Option } from 'commander';
import { UsageError } from '../src/errors.js';
import type { EntityName } from '../src/records/fields.js';
import type { Ctx } from './context.js';

// Options declared by several commands, built here once: each command passes its own
// description where its help says it differently, so --help stays as it was.

export const ENCODING_CHOICES = ['utf8', 'utf16le', 'utf16be', 'cp1251'] as const;
export const READ_FORMATS = ['csv', 'json', 'ndjson', 'xlsx'] as const;

/** `--format` of a command that reads a file. */
export function readFormatOption(description: string): Option {
  return new Option('--format <format>', description).choices([...READ_FORMATS]);
}

export function sheetOption(): Option {
  return new Option('--sheet <name>', 'XLSX: the worksheet to read (default: the first)');
}

/** `--encoding` of the file read (`utf8` when given, as validate's help says). */
export function encodingOption(defaultValue?: (typeof ENCODING_CHOICES)[number]): Option {
  const o = new Option('--encoding <encoding>', 'text encoding of the file').choices([...ENCODING_CHOICES]);
  return defaultValue ? o.default(defaultValue) : o;
}

export function delimiterOption(flags: '--delimiter <d>' | '--delimiter <char>', description: string): Option {
  return new Option(flags, description);
}

/** `--max-issues`: how many issues a report lists; its counts are always complete. */
export function maxIssuesOption(description = 'list at most N issues (counts stay complete)'): Option {
  return new Option('--max-issues <n>', description).argParser(nonNegativeInt('--max-issues')).default(1000);
}

export function strictOption(): Option {
  return new Option('--strict', 'warnings fail the validation too');
}

export function dryRunOption(description: string): Option {
  return new Option('--dry-run', description);
}

/** `--out`: a file written atomically (io/atomic-file.ts). */
export function outOption(description: string): Option {
  return new Option('--out <path>', description);
}

/**
 * `--backup <dir|path>` and `--no-backup` of a command that deletes records: the flag is a
 * path, false for --no-backup, undefined for the default (the data directory).
 */
export function backupOption(flags: '--backup <dir>' | '--backup <path>', description: string): Option {
  return new Option(flags, description);
}

export function noBackupOption(description: string): Option {
  return new Option('--no-backup', description);
}

/** `--entity` of the registry log's commands: the entities the log holds. */
export function logEntityOption(description: string): Option {
  return new Option('--entity <entity>', description).choices(['agencies', 'services']).default('services');
}

// The database timeouts: global options, and --lock-timeout again on the commands that
// take a lock of their own (migrate), as their help says it.

export function lockTimeoutOption(description: string): Option {
  return new Option('--lock-timeout <seconds>', description).argParser(nonNegativeInt('--lock-timeout'));
}

export function statementTimeoutOption(): Option {
  return new Option('--statement-timeout <seconds>', 'PostgreSQL: end any statement that runs longer (default 0: no limit)').argParser(nonNegativeInt('--statement-timeout'));
}

export function idleTimeoutOption(): Option {
  return new Option('--idle-timeout <seconds>', 'a statement with no byte to or from the server this long is a dead link: exit 5 (default 600; 0: no limit)').argParser(nonNegativeInt('--idle-timeout'));
}

export interface ReadFlags {
  format?: (typeof READ_FORMATS)[number];
  sheet?: string;
  encoding?: 'utf8' | 'utf16le' | 'utf16be' | 'cp1251';
  delimiter?: string;
}

export function addReadOptions(cmd: Command): Command {
  return cmd
    .addOption(readFormatOption('file format (default: from the extension; needed for "-")'))
    .addOption(sheetOption())
    .addOption(encodingOption('utf8'))
    .addOption(delimiterOption('--delimiter <d>', 'CSV delimiter: "," (default), ";" or "tab"'));
}

/** What --delimiter takes (tab also as a real tab, or written \t), for every command that reads files. */
const DELIMITERS: Record<string, ',' | ';' | '\t'> = { ',': ',', ';': ';', tab: '\t', '\t': '\t', '\\t': '\t' };

/** The delimiter a --delimiter value names; undefined without one. */
export function delimiterFrom(value: string | undefined): ',' | ';' | '\t' | undefined {
  if (value === undefined) return undefined;
  const delimiter = DELIMITERS[value];
  if (!delimiter) throw new UsageError(`--delimiter takes , or ; or tab, not "${value}"`);
  return delimiter;
}

export function readOptionsFrom(ctx: Ctx, entity: EntityName, path: string, o: ReadFlags) {
  const delimiter = delimiterFrom(o.delimiter);
  return {
    entity,
    path,
    ...(o.format ? { format: o.format } : {}),
    ...(o.encoding ? { encoding: o.encoding } : {}),
    ...(delimiter ? { delimiter } : {}),
    ...(o.sheet !== undefined ? { sheet: o.sheet } : {}),
    stdin: ctx.stdin,
    signal: ctx.signal,
  };
}

/** Argument parsers of whole-number options: a bad value is a usage error (exit 2) naming the flag. */
export function positiveInt(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new CommanderError(2, 'egovctl.invalidArgument', `${flag} takes a whole number of 1 or more, not "${v}"`);
    return Number(v);
  };
}

export function nonNegativeInt(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new CommanderError(2, 'egovctl.invalidArgument', `${flag} takes a whole number of 0 or more, not "${v}"`);
    return Number(v);
  };
}
