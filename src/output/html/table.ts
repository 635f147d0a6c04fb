import { cut, html, type Html } from './escape.js';

// A table of data: every cell escaped (or cut, when long), numbers right-aligned. Wrapped to
// scroll sideways inside the page, and on a narrow screen each row becomes a card whose
// cells carry their column's name (data-label), so the page itself never overflows.

export interface Column<R> {
  head: string;
  /** text or a number from the data (escaped, long text cut), or Html made by the caller */
  cell: (row: R) => string | number | null | undefined | Html;
  num?: boolean;
  /** cut text longer than this (characters); default 80 */
  max?: number;
  /** never wrapped (codes, keys) */
  nowrap?: boolean;
}

export function table<R>(columns: readonly Column<R>[], rows: readonly R[], opts: { caption?: string; className?: string } = {}): Html {
  const cls = ['reflow', opts.className].filter(Boolean).join(' ');
  const cellClass = (c: Column<R>) => {
    const names = [c.num ? 'num' : '', c.nowrap ? 'nowrap' : ''].filter(Boolean).join(' ');
    return names ? html` class="${names}"` : '';
  };
  const cellHtml = (c: Column<R>, r: R) => {
    const v = c.cell(r);
    if (v === null || v === undefined || v === '') return cut(null);
    if (typeof v === 'number') return html`${v}`;
    if (typeof v === 'string') return cut(v, c.max);
    return v;
  };
  return html`<div class="scroll"><table class="${cls}">${opts.caption ? html`<caption>${opts.caption}</caption>` : ''}
<thead><tr>${columns.map((c) => html`<th${cellClass(c)} scope="col">${c.head}</th>`)}</tr></thead>
<tbody>
${rows.map((r) => html`<tr>${columns.map((c) => html`<td${cellClass(c)} data-label="${c.head}">${cellHtml(c, r)}</td>`)}</tr>\n`)}</tbody></table></div>`;
}
