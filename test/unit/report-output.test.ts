import { Command, Option } from 'commander';
import { describe, expect, test } from 'vitest';
import { widenFormatOption } from '../../commands/report-output.js';

// `validate file --format` takes the file's format and the report's: whatever file formats
// the read options declare (a reader added there, like xlsx, is accepted without a change here).

function parse(opt: Option, argv: string[]): unknown {
  const cmd = new Command('v').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }).addOption(opt).action(() => {});
  widenFormatOption(cmd);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts().format;
}

describe('widenFormatOption', () => {
  const choices = () => new Option('--format <f>', 'file format').choices(['csv', 'json', 'ndjson', 'xlsx']);
  test('a file format, a report format, or one of each in either order', () => {
    expect(parse(choices(), ['--format', 'xlsx'])).toEqual({ read: 'xlsx' });
    expect(parse(choices(), ['--format', 'html'])).toEqual({ report: 'html' });
    expect(parse(choices(), ['--format', 'html', '--format', 'json'])).toEqual({ read: 'json', report: 'html' });
    expect(parse(choices(), ['--format', 'html', '--format', 'html'])).toEqual({ report: 'html' });
  });
  test('unknown, or two of a kind: a usage error naming every choice', () => {
    expect(() => parse(choices(), ['--format', 'pdf'])).toThrow(/Allowed choices are csv, json, ndjson, xlsx, table, html\./);
    expect(() => parse(choices(), ['--format', 'csv', '--format', 'json'])).toThrow(/two file formats: csv and json/);
    expect(() => parse(choices(), ['--format', 'table', '--format', 'html'])).toThrow(/two report formats: table and html/);
  });
  test('read options with a parser of their own instead of choices keep it', () => {
    const custom = () => new Option('--format <f>').argParser((v: string) => {
      if (v !== 'csv') throw new Error('only csv.');
      return v;
    });
    expect(parse(custom(), ['--format', 'csv', '--format', 'html'])).toEqual({ read: 'csv', report: 'html' });
    expect(() => parse(custom(), ['--format', 'tsv'])).toThrow(/only csv; or a report format: table, html\./);
  });
});
