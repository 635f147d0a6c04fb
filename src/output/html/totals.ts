import { html, type Html } from './escape.js';

// The totals block at the top of a report: what a clerk reads first.

export interface Total {
  label: string;
  value: string | number | Html | null;
  /** 'err' or 'warn' colour a count that is not zero; 'wide' takes the whole row (a path) */
  tone?: 'err' | 'warn' | 'wide';
}

export function totals(items: readonly Total[]): Html {
  return html`<dl class="totals">${items.map((t) => html`<div${t.tone ? html` class="${t.tone}"` : ''}><dt>${t.label}</dt><dd>${t.value === null ? html`<span class="none">—</span>` : t.value}</dd></div>`)}</dl>`;
}
