import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A plain table for human output (cli-table3 without borders' colour codes). */
export function renderTable(head: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const Table = require('cli-table3') as typeof import('cli-table3');
  const t = new Table({ head, style: { head: [], border: [] }, wordWrap: true });
  for (const r of rows) t.push(r.map((v) => (v === null || v === undefined ? '' : String(v))));
  return t.toString();
}
