import { describe, expect, test } from 'vitest';
import { barChart, percent } from '../../src/output/html/bar-chart.js';
import { cut, escape, html, raw, when } from '../../src/output/html/escape.js';
import { page } from '../../src/output/html/page.js';
import { table } from '../../src/output/html/table.js';
import { totals } from '../../src/output/html/totals.js';

// The HTML toolkit of the reports (SPEC §11): whatever the data holds shows as text, and
// a page fetches and runs nothing.

const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '"><img src=x onerror="window.__pwned=2">';

describe('escape and html``', () => {
  test('every character that can open markup or leave an attribute is escaped', () => {
    expect(escape(SCRIPT)).toBe('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(escape(IMG)).toBe('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
    expect(escape("O'Brien & Sons")).toBe('O&#39;Brien &amp; Sons');
    expect(escape('&lt;')).toBe('&amp;lt;');
    expect(escape(null)).toBe('');
    expect(escape(0)).toBe('0');
  });

  test('html`` escapes what it interpolates, passes Html through, joins arrays, drops null and booleans', () => {
    const h = html`<p title="${IMG}">${SCRIPT}${raw('<b>ok</b>')}${['a', '<', 1]}${null}${false}</p>`;
    expect(h.text).toBe('<p title="&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;">&lt;script&gt;window.__pwned=1&lt;/script&gt;<b>ok</b>a&lt;1</p>');
  });

  test('cut: a short value as it is; a long one cut with an ellipsis, whole in the title and in a details element', () => {
    expect(cut('short', 10).text).toBe('short');
    expect(cut(null).text).toContain('—');
    expect(cut('').text).toContain('—');
    const long = `${'x'.repeat(90)}${SCRIPT}`;
    const c = cut(long, 80).text;
    expect(c).toContain(`<summary title="${escape(long)}">${'x'.repeat(79)}…</summary>`);
    expect(c).toContain(`<div class="full">${escape(long)}</div>`);
    expect(c).not.toContain('<script');
    // characters, not UTF-16 units: an emoji is never split in half
    expect(cut('😀'.repeat(5), 4).text).toContain('😀😀😀…');
  });

  test('when: an instant as a person reads it, the exact value kept', () => {
    expect(when('2026-12-01T21:44:08.406Z').text).toBe('<time datetime="2026-12-01T21:44:08.406Z">2026-12-01 21:44:08 UTC</time>');
  });
});

describe('page', () => {
  const p = page({ title: `t ${SCRIPT}`, body: html`<p>${IMG}</p>` });
  test('is self-contained: inline CSS, a policy that forbids fetching and scripts, nothing from elsewhere', () => {
    expect(p.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(p).toContain('<meta charset="utf-8">');
    expect(p).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(p).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;/);
    expect(p).toContain('<style>');
    expect(p).toContain('@media print');
    expect(p).toContain('@media (max-width: 640px)');
    for (const bad of ['<script', '<link', '<img', '<iframe', '<object', 'http://', 'https://', '@import', 'url(']) expect(p, bad).not.toContain(bad);
    expect(p).not.toMatch(/<[a-z][^>]*\s(src|href)=/i);
  });
  test('escapes the title', () => {
    expect(p).toContain('<title>t &lt;script&gt;');
  });
});

describe('totals and table', () => {
  test('totals: label and value, escaped; a zero count is not coloured', () => {
    const t = totals([{ label: 'errors', value: 2, tone: 'err' }, { label: 'source', value: SCRIPT, tone: 'wide' }, { label: 'x', value: null }]).text;
    expect(t).toContain('<div class="err"><dt>errors</dt><dd>2</dd></div>');
    expect(t).toContain('<dd>&lt;script&gt;window.__pwned=1&lt;/script&gt;</dd>');
    expect(t).toContain('<dt>x</dt><dd><span class="none">—</span></dd>');
  });

  test('table: a header, a labelled cell per column, numbers right-aligned, text escaped and cut', () => {
    const t = table([{ head: 'name', cell: (r: { n: string; k: number }) => r.n, max: 10 }, { head: 'count', num: true, cell: (r) => r.k }], [{ n: SCRIPT, k: 3 }, { n: '', k: 0 }]).text;
    expect(t).toContain('<div class="scroll"><table class="reflow">');
    expect(t).toContain('<th scope="col">name</th><th class="num" scope="col">count</th>');
    expect(t).toContain('<td class="num" data-label="count">3</td>');
    expect(t).toContain('<td class="num" data-label="count">0</td>');
    expect(t).toContain('&lt;script&gt;w…</summary>');
    expect(t).not.toContain('<script');
    expect(t.match(/<tr>/g)).toHaveLength(3);
  });
});

describe('barChart', () => {
  const chart = barChart([
    { label: 'HALF', rate: 0.5 },
    { label: SCRIPT, rate: 1 },
    { label: 'NONE', rate: null },
    { label: 'OVER', rate: 1.7 },
    { label: 'ZERO', rate: 0 },
  ], { title: 'on-time rate' }).text;
  const rows = chart.split('<li class="chart-row">').slice(1);
  const fills = rows.map((r) => /<rect class="fill" x="0" y="0" width="([\d.]+)"/.exec(r)?.[1] ?? null);

  test('one row per group, its bar an inline SVG whose fill is the rate of a 0–100 track, clamped', () => {
    expect(rows).toHaveLength(5);
    expect(fills).toEqual(['50', '100', null, '100', '0']);
    for (const r of rows) expect(r).toContain('<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none"');
    expect(rows[0]).toContain('<span class="chart-value">50.0 %</span>');
    expect(rows[1]).toContain('<span class="chart-value">100.0 %</span>');
    expect(rows[3]).toContain('<span class="chart-value">100.0 %</span>');
    expect(rows[4]).toContain('<span class="chart-value">0.0 %</span>');
  });

  test('no rate: no bar, the words "no decisions"', () => {
    expect(rows[2]).toContain('<span class="chart-label">NONE</span>');
    expect(rows[2]).not.toContain('class="fill"');
    expect(rows[2]).toContain('<span class="chart-value nodata">no decisions</span>');
  });

  test('labels escaped; an axis from 0 to 100 %; no script, no image', () => {
    expect(chart).not.toMatch(/<script|<img/);
    expect(rows[1]).toContain('<span class="chart-label">&lt;script&gt;window.__pwned=1&lt;/script&gt;</span>');
    expect(chart).toContain('<span class="axis"><span>0 %</span><span>50 %</span><span>100 %</span></span>');
    expect(chart.startsWith('<figure class="chart" aria-label="on-time rate">')).toBe(true);
  });

  test('percent rounds to one decimal', () => {
    expect(percent(0.8333)).toBe('83.3 %');
    expect(percent(0.9995)).toBe('100.0 %');
    expect(percent(0)).toBe('0.0 %');
  });
});
