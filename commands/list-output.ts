import type { Target } from '../src/config/resolve.js';
import { createListWriter, type Cell, type ListWriter } from '../src/output/table.js';
import type { Ctx } from './context.js';

// The "list" commands (registry list, audit list, migrate status, config show): a table
// that fits the terminal, or — when standard output is not a terminal — tab-separated
// lines under one header line, as `gh` prints them, so `| cut -f2` and `| sort` work.
// With several targets the lines gain a first column, target, and the header comes once.

const headed = new WeakSet<Ctx>();

export function listWriter(ctx: Ctx, head: string[], target?: Target): ListWriter {
  if (ctx.tsv && target && ctx.config().targets.length > 1) {
    const w = createListWriter(ctx.stdout, ['target', ...head], { tsv: true, header: !headed.has(ctx) });
    headed.add(ctx);
    return { row: (cells: ReadonlyArray<Cell>) => w.row([target.name, ...cells]), end: () => w.end() };
  }
  return createListWriter(ctx.stdout, head, { tsv: ctx.tsv, width: ctx.width });
}

/** A whole listing at once. */
export async function writeList(ctx: Ctx, head: string[], rows: Iterable<ReadonlyArray<Cell>>, target?: Target): Promise<number> {
  const w = listWriter(ctx, head, target);
  for (const r of rows) await w.row(r);
  return w.end();
}
