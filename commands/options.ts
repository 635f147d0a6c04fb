import type { Command } from 'commander';
import { CommanderError, Option } from 'commander';
import { UsageError } from '../src/errors.js';
import type { EntityName } from '../src/records/fields.js';
import type { Ctx } from './context.js';

// Options shared by the commands that read files (import, validate file).

export const ENCODING_CHOICES = ['utf8', 'utf16le', 'utf16be', 'cp1251'] as const;

export interface ReadFlags {
  format?: 'csv' | 'json' | 'ndjson' | 'xlsx';
  sheet?: string;
  encoding?: 'utf8' | 'utf16le' | 'utf16be' | 'cp1251';
  delimiter?: string;
}

export function addReadOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'file format (default: from the extension; needed for "-")').choices(['csv', 'json', 'ndjson', 'xlsx']))
    .option('--sheet <name>', 'XLSX: the worksheet to read (default: the first)')
    .addOption(new Option('--encoding <encoding>', 'text encoding of the file').choices([...ENCODING_CHOICES]).default('utf8'))
    .option('--delimiter <d>', 'CSV delimiter: "," (default), ";" or "tab"');
}

const DELIMITERS: Record<string, ',' | ';' | '\t'> = { ',': ',', ';': ';', tab: '\t', '\t': '\t' };

export function readOptionsFrom(ctx: Ctx, entity: EntityName, path: string, o: ReadFlags) {
  let delimiter: ',' | ';' | '\t' | undefined;
  if (o.delimiter !== undefined) {
    delimiter = DELIMITERS[o.delimiter];
    if (!delimiter) throw new UsageError(`--delimiter takes ",", ";" or "tab", not "${o.delimiter}"`);
  }
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
