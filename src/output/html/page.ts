import { html, raw, type Html } from './escape.js';

// The page shell of every HTML report: one self-contained file. No script, style sheet,
// font or image from anywhere else: the CSS is inline, the charts are inline SVG, and the
// Content-Security-Policy forbids the browser from fetching or running anything, so that
// even a value that escaped escaping could not load or execute a thing.

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --head: #f6f8fa;
  --err: #b42318; --err-bg: #fdecea; --warn: #8a5a00; --warn-bg: #fff4d6; --ok: #1a7f37; --ok-bg: #e6f4ea; --bar: #2f6fb3; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; padding: 16px; max-width: 1200px; color: var(--fg); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; overflow-wrap: break-word; }
h1 { font-size: 1.5em; margin: 0 0 .5em; }
h2 { font-size: 1.15em; margin: 1.6em 0 .3em; display: flex; flex-wrap: wrap; gap: .4em; align-items: baseline; }
p { margin: .3em 0 .8em; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
.verdict { display: inline-block; padding: .2em .7em; border-radius: 4px; font-weight: 700; }
.verdict.ok { color: var(--ok); background: var(--ok-bg); }
.verdict.bad { color: var(--err); background: var(--err-bg); }
.badge { display: inline-block; padding: 0 .5em; border-radius: 3px; font-size: .8em; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
.badge.error { color: var(--err); background: var(--err-bg); }
.badge.warning { color: var(--warn); background: var(--warn-bg); }
.count { color: var(--muted); font-weight: 400; }
.meaning { color: var(--muted); }
.none { color: var(--muted); }
.note { color: var(--muted); font-size: .9em; }
dl.totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 0 0 1em; }
dl.totals div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; min-width: 0; }
dl.totals dt { color: var(--muted); font-size: .8em; text-transform: uppercase; letter-spacing: .03em; }
dl.totals dd { margin: 0; font-size: 1.1em; font-weight: 600; }
dl.totals div.wide { grid-column: 1 / -1; }
dl.totals div.err dd { color: var(--err); }
dl.totals div.warn dd { color: var(--warn); }
nav.toc ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 6px 14px; }
nav.toc a { color: inherit; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .93em; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
th.nowrap, td.nowrap { white-space: nowrap; }
td { min-width: 3em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
details.long summary { cursor: pointer; }
details.long .full { white-space: pre-wrap; margin-top: .3em; }
/* a long value may be one unbroken token: let it break anywhere rather than widen its table */
details.long summary, details.long .full { overflow-wrap: anywhere; }
.chart { margin: .5em 0 1em; max-width: 900px; }
.chart ul { margin: 0; }
.chart-rows { list-style: none; margin: 0; padding: 0; }
.chart-row { display: grid; grid-template-columns: minmax(8em, 32%) 1fr 6.5em; gap: 4px 10px; align-items: center; padding: 3px 0; }
.chart-label { text-align: right; font-size: .9em; }
.chart-value { font-variant-numeric: tabular-nums; font-size: .9em; white-space: nowrap; }
.chart-value.nodata { color: var(--muted); font-style: italic; }
svg.bar { display: block; width: 100%; height: 16px; }
svg.bar .track { fill: var(--head); stroke: var(--line); stroke-width: .3; vector-effect: non-scaling-stroke; }
svg.bar .fill { fill: var(--bar); }
.chart-axis { padding-top: 0; }
.axis { display: flex; justify-content: space-between; color: var(--muted); font-size: .8em; }
footer { margin-top: 2em; color: var(--muted); font-size: .85em; }
@media (max-width: 640px) {
  body { padding: 10px; font-size: 14px; }
  /* a table too wide for a phone becomes one card per row, each cell labelled */
  table.reflow thead { display: none; }
  table.reflow, table.reflow tbody, table.reflow tr, table.reflow td { display: block; width: 100%; }
  table.reflow tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 8px; padding: 4px 0; }
  table.reflow td { border: 0; padding: 2px 10px; text-align: left; }
  table.reflow td::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85em; }
  /* the label above its bar, the value beside it */
  .chart-row { grid-template-columns: 1fr 6em; }
  .chart-label { grid-column: 1 / -1; text-align: left; }
  .chart-axis .chart-label { display: none; }
}
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; color: #000; }
  nav.toc { display: none; }
  .scroll { overflow: visible; }
  table { font-size: 9pt; }
  thead { display: table-header-group; }
  tr, .chart-row { break-inside: avoid; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .verdict, .badge { border: 1px solid currentColor; }
  /* paper has no click: a long value prints whole (where the browser can open details) */
  details.long > summary { display: none; }
  details.long::details-content { content-visibility: visible; display: block; }
  details.long .full { margin-top: 0; }
}
`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'";

export interface PageOptions {
  title: string;
  /** the page's body, built with html`` */
  body: Html;
  /** the line at the foot of the page: what made it, when */
  footer?: Html;
  lang?: string;
}

export function page(o: PageOptions): string {
  const doc = html`<!DOCTYPE html>
<html lang="${o.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<title>${o.title}</title>
<style>${raw(CSS)}</style>
</head>
<body>
${o.body}
${o.footer ? html`<footer>${o.footer}</footer>` : ''}
</body>
</html>
`;
  return doc.text;
}
