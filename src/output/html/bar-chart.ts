import { html, type Html } from './escape.js';

// A horizontal bar chart of rates (0–1, drawn as 0–100 %) in inline SVG: no script, no
// image file. A group with no rate (nothing decided) gets no bar and the words "no
// decisions", never a bar of 0 %, which would say every decision was late.

export interface Bar {
  label: string;
  /** 0–1; null when there is nothing to measure */
  rate: number | null;
}

const LABEL_W = 260;
const BAR_W = 460;
const VALUE_W = 90;
const ROW_H = 22;
const PAD = 4;
const LABEL_CHARS = 38;

export function percent(rate: number): string {
  return `${(Math.round(rate * 1000) / 10).toFixed(1)} %`;
}

function clamp(rate: number): number {
  return Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 0;
}

export function barChart(bars: readonly Bar[], opts: { title: string; nullText?: string }): Html {
  const width = LABEL_W + BAR_W + VALUE_W;
  const axisH = 18;
  const height = bars.length * ROW_H + axisH + PAD;
  const nullText = opts.nullText ?? 'no decisions';
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const rows = bars.map((b, i) => {
    const y = i * ROW_H + PAD;
    const chars = Array.from(b.label);
    const shown = chars.length > LABEL_CHARS ? chars.slice(0, LABEL_CHARS - 1).join('') + '…' : b.label;
    const value = b.rate === null ? null : clamp(b.rate);
    const label = html`<text x="${LABEL_W - 8}" y="${y + ROW_H / 2 + 4}" text-anchor="end"><title>${b.label}</title>${shown}</text>`;
    const track = html`<rect class="track" x="${LABEL_W}" y="${y + 3}" width="${BAR_W}" height="${ROW_H - 6}"/>`;
    if (value === null) {
      return html`<g class="row">${label}${track}<text class="nodata" x="${LABEL_W + 6}" y="${y + ROW_H / 2 + 4}">${nullText}</text></g>`;
    }
    const w = Math.round(value * BAR_W * 10) / 10;
    return html`<g class="row">${label}${track}<rect class="bar" x="${LABEL_W}" y="${y + 3}" width="${w}" height="${ROW_H - 6}"><title>${b.label}: ${percent(value)}</title></rect><text x="${LABEL_W + BAR_W + 6}" y="${y + ROW_H / 2 + 4}">${percent(value)}</text></g>`;
  });
  const axisY = bars.length * ROW_H + PAD;
  const axis = ticks.map((t) => html`<text x="${LABEL_W + t * BAR_W}" y="${axisY + 14}" text-anchor="${t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}">${Math.round(t * 100)} %</text>`);
  return html`<svg class="bars" viewBox="0 0 ${width} ${height}" role="img" aria-label="${opts.title}"><title>${opts.title}</title>${rows}${axis}</svg>`;
}
