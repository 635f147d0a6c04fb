// Tables for people, and tab-separated lines for scripts (SPEC §5, issue 13.8).
// A table fits a width (the terminal's, else 80): no borders, two spaces between columns,
// the widest columns cut first, each cut value ending in "…". Measuring is one pass over
// the rows, so a long listing costs linear time (cli-table3 with word wrap was quadratic).

export type Cell = string | number | null | undefined;

const GAP = '  ';
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** A cell as one line of text: null is empty, line breaks and tabs become spaces. */
function text(v: Cell): string {
  if (v === null || v === undefined) return '';
  return String(v).replace(/[\t\r\n]+/g, ' ');
}

function plainLength(s: string): number {
  let n = 0;
  for (const _ of s.replace(ANSI, '')) n++;
  return n;
}

/** The value cut to `w` characters, its last one "…"; colour is dropped from a cut value. */
export function cut(s: string, w: number): string {
  if (plainLength(s) <= w) return s;
  const chars = [...s.replace(ANSI, '')];
  return w <= 0 ? '' : `${chars.slice(0, w - 1).join('')}…`;
}

/** The width of the terminal standard output is on, else $COLUMNS, else 80. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  const c = Number(env.COLUMNS);
  return Number.isInteger(c) && c > 0 ? c : 80;
}

/**
 * Column widths that fit `width`: every column as wide as its widest value if that fits;
 * otherwise one cap for the wide columns, as high as fits, with no column below its
 * header (or 3 characters, when even the headers do not fit).
 */
export function fitWidths(natural: readonly number[], heads: readonly number[], width: number): number[] {
  const budget = Math.max(natural.length, width - GAP.length * (natural.length - 1));
  const sum = (ws: number[]) => ws.reduce((a, b) => a + b, 0);
  if (sum([...natural]) <= budget) return [...natural];
  let floors = natural.map((w, i) => Math.min(w, Math.max(3, heads[i]!)));
  if (sum(floors) > budget) floors = natural.map((w) => Math.min(w, 3));
  const at = (cap: number) => natural.map((w, i) => Math.min(w, Math.max(cap, floors[i]!)));
  let lo = 0;
  let hi = Math.max(...natural);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sum(at(mid)) <= budget) lo = mid;
    else hi = mid - 1;
  }
  const ws = at(lo);
  let left = budget - sum(ws);
  for (let i = 0; i < ws.length && left > 0; i++) {
    if (ws[i]! < natural[i]!) {
      ws[i]!++;
      left--;
    }
  }
  return ws;
}

function line(cells: readonly string[], widths: readonly number[]): string {
  const last = cells.length - 1;
  return cells.map((c, i) => {
    const v = cut(c, widths[i]!);
    return i === last ? v : v + ' '.repeat(Math.max(0, widths[i]! - plainLength(v)));
  }).join(GAP).replace(/ +$/, '');
}

function measure(head: readonly string[], rows: ReadonlyArray<readonly string[]>): number[] {
  const natural = head.map((h) => plainLength(h));
  for (const r of rows) for (let i = 0; i < natural.length; i++) natural[i] = Math.max(natural[i]!, plainLength(r[i] ?? ''));
  return natural;
}

/** Words into lines of at most `w` characters (a longer word is broken); colour dropped when wrapped. */
export function wrap(s: string, w: number): string[] {
  if (plainLength(s) <= w) return [s];
  const out: string[] = [];
  let cur = '';
  for (let word of s.replace(ANSI, '').split(' ')) {
    while ([...word].length > w) {
      if (cur) out.push(cur);
      cur = '';
      const chars = [...word];
      out.push(chars.slice(0, w).join(''));
      word = chars.slice(w).join('');
    }
    if (!cur) cur = word;
    else if ([...cur].length + 1 + [...word].length <= w) cur += ` ${word}`;
    else {
      out.push(cur);
      cur = word;
    }
  }
  if (cur) out.push(cur);
  return out;
}

export interface TableOptions {
  /** at most this many columns wide (default 80) */
  width?: number;
  /** the last column (a message) wraps onto more lines instead of being cut */
  wrapLast?: boolean;
}

/** A table for a person, `width` columns wide at most (default 80). */
export function renderTable(head: string[], rows: ReadonlyArray<ReadonlyArray<Cell>>, opts: TableOptions = {}): string {
  const cells = rows.map((r) => head.map((_, i) => text(r[i])));
  const widths = fitWidths(measure(head, cells), head.map(plainLength), opts.width ?? 80);
  const last = head.length - 1;
  const out = [line(head, widths)];
  for (const c of cells) {
    if (!opts.wrapLast) {
      out.push(line(c, widths));
      continue;
    }
    const parts = wrap(c[last]!, widths[last]!);
    out.push(line([...c.slice(0, last), parts[0] ?? ''], widths));
    for (const p of parts.slice(1)) out.push(line([...c.slice(0, last).map(() => ''), p], widths));
  }
  return out.join('\n');
}

/** One tab-separated line: no colour, tabs and line breaks inside values become spaces. */
export function tsvLine(cells: ReadonlyArray<Cell>): string {
  return cells.map((c) => text(c).replace(ANSI, '')).join('\t');
}

export interface ListWriter {
  /** one row; resolves once the stream can take more (back-pressure) */
  row(cells: ReadonlyArray<Cell>): Promise<void>;
  /** the rows held back to measure are written; returns how many rows there were */
  end(): Promise<number>;
}

export interface ListWriterOptions {
  /** tab-separated lines with a header line, for `| cut` and `| sort` (standard output is not a terminal) */
  tsv: boolean;
  width?: number;
  /** a table's widths are measured on this many first rows, then kept for the rest */
  sample?: number;
  /** write the header line (default true; a second target's lines in one listing do not) */
  header?: boolean;
}

/**
 * Writes a listing as it comes, in flat memory: tab-separated lines, or a table whose
 * column widths come from its first rows (a later, longer value is cut with "…").
 */
/**
 * Waits until the stream takes more, or can take nothing more: a write error (a full disk
 * for standard output) ends the wait too, or the process would sit on a promise that never
 * settles and Node would leave with exit 13 instead of the command's own error (exit 2).
 */
function drained(out: NodeJS.WritableStream): Promise<void> {
  const s = out as NodeJS.WritableStream & { destroyed?: boolean; errored?: unknown };
  if (s.destroyed || s.errored) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('error', done);
    out.once('close', done);
  });
}

export function createListWriter(out: NodeJS.WritableStream, head: string[], opts: ListWriterOptions): ListWriter {
  const sample = opts.sample ?? 500;
  let held: string[][] | null = opts.tsv ? null : [];
  let widths: number[] | null = null;
  let count = 0;
  let buffered = '';
  const flush = async (force = false) => {
    if (!buffered || (!force && buffered.length < 64 * 1024)) return;
    const chunk = buffered;
    buffered = '';
    if (!out.write(chunk)) await drained(out);
  };
  const release = () => {
    widths = fitWidths(measure(head, held!), head.map(plainLength), opts.width ?? 80);
    buffered += `${line(head, widths)}\n`;
    for (const r of held!) buffered += `${line(r, widths)}\n`;
    held = null;
  };
  if (opts.tsv && opts.header !== false) buffered = `${tsvLine(head)}\n`;
  return {
    async row(cells) {
      count++;
      if (opts.tsv) buffered += `${tsvLine(cells)}\n`;
      else if (held) {
        held.push(head.map((_, i) => text(cells[i])));
        if (held.length >= sample) release();
      } else buffered += `${line(head.map((_, i) => text(cells[i])), widths!)}\n`;
      await flush();
    },
    async end() {
      if (held) {
        if (held.length) release();
        else held = null;
      }
      await flush(true);
      return count;
    },
  };
}
