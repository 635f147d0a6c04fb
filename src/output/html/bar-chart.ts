import { html, type Html } from './escape.js';

// A horizontal bar chart of rates (0–1, drawn as 0–100 %). Each bar is a small inline SVG
// in a row of the page, beside its label as HTML text: a long agency name wraps instead of
// being cut, and on a phone the label goes above its bar, where one wide SVG would shrink
// to unreadable type. No script, no image file. A group with no rate (nothing decided)
// gets no bar and the words "no decisions", never a bar of 0 %, which would say that every
// decision was late.

export interface Bar {
  label: string;
  /** 0–1; null when there is nothing to measure */
  rate: number | null;
}

export function percent(rate: number): string {
  return `${(Math.round(rate * 1000) / 10).toFixed(1)} %`;
}

function clamp(rate: number): number {
  return Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 0;
}

/** The bar's track is 0–100 in the SVG's own units, so a rate of r is a rect r·100 wide. */
function bar(rate: number | null, label: string): Html {
  const track = html`<rect class="track" x="0" y="0" width="100" height="10"/>`;
  const fill = rate === null ? '' : html`<rect class="fill" x="0" y="0" width="${Math.round(clamp(rate) * 1000) / 10}" height="10"/>`;
  return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><title>${label}</title>${track}${fill}</svg>`;
}

export function barChart(bars: readonly Bar[], opts: { title: string; nullText?: string }): Html {
  const nullText = opts.nullText ?? 'no decisions';
  const rows = bars.map((b) => {
    const value = b.rate === null ? html`<span class="chart-value nodata">${nullText}</span>` : html`<span class="chart-value">${percent(clamp(b.rate))}</span>`;
    return html`<li class="chart-row"><span class="chart-label">${b.label}</span>${bar(b.rate, b.label)}${value}</li>\n`;
  });
  return html`<figure class="chart" aria-label="${opts.title}"><ul class="chart-rows">
${rows}<li class="chart-row chart-axis" aria-hidden="true"><span class="chart-label"></span><span class="axis"><span>0 %</span><span>50 %</span><span>100 %</span></span><span class="chart-value"></span></li></ul></figure>`;
}
