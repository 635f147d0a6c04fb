import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { launch, noBrowserReason, openFile } from '../helpers/browser.js';
import { connect, closeKnex } from '../../src/db/connect.js';
import { targetFor } from '../helpers/targets.js';
import { renderDisciplineHtml, type DisciplineReportDoc } from '../../src/output/html/discipline-report.js';

// SPEC §11: the HTML validation report as a clerk meets it, in a real browser (headless
// Chromium from Debian's package). The built binary writes the page; the browser opens it
// from a file and we look at what a person sees: the totals, the row they look for, values
// that tried to be markup shown as text, no request for anything, a phone's width, print.

const why = noBrowserReason();
if (why) console.warn(`html-browser: SKIPPED — ${why}`);

const samples = path.join(ROOT, 'samples');
const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '"><img src=x onerror="window.__pwned=2">';
const q = (v: string) => `"${v.replaceAll('"', '""')}"`;

let home: ReturnType<typeof scratch>;
let browser: { context: BrowserContext; close: () => Promise<void> } | undefined;
let phone: { context: BrowserContext; close: () => Promise<void> } | undefined;
const cli = (args: string[]) => runCli(args, { env: home.env });

beforeAll(async () => {
  home = scratch('egovctl-html-');
  if (!why) [browser, phone] = await Promise.all([launch(), launch({ phone: true })]);
});
afterAll(async () => {
  await browser?.close();
  await phone?.close();
  home?.cleanup();
});

/** What a person reads in a totals tile (the label is matched as written, not as styled). */
async function total(page: Page, label: string): Promise<string> {
  return page.locator('dl.totals > div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd').innerText();
}

async function noScriptRan(page: Page): Promise<void> {
  // (page code as strings: this project's TypeScript has no DOM library)
  expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
  expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
}

/** On a phone (375 px, the viewport meta honoured) the page is as wide as the screen: no sideways scrolling of the page. */
async function fitsAPhone(file: string): Promise<void> {
  const p = await openFile(phone!.context, file);
  const { scroll, inner } = await p.page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })');
  expect(inner).toBe(375);
  expect(scroll).toBeLessThanOrEqual(inner);
  // each issue is a card whose cells say which column they are
  expect(await p.page.locator('table.reflow thead').first().isVisible()).toBe(false);
  expect(p.refused).toEqual([]);
  await p.page.close();
}

async function prints(page: Page): Promise<void> {
  await page.emulateMedia({ media: 'print' });
  // the print style sheet applies: the list of codes (links) is left off paper
  expect(await page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display")).toBe('none');
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.length).toBeGreaterThan(2000);
  await page.emulateMedia({ media: 'screen' });
}

describe.skipIf(!!why)(`the HTML validation report in Chromium${why ? ` (skipped: ${why})` : ''}`, () => {
  test('validate file: a bad services file, as a clerk sees it', async () => {
    const text = fs.readFileSync(path.join(samples, 'services.csv'), 'utf8').replace(/\n$/, '');
    const firstBad = text.split('\n').length + 1;
    const rows = [
      // unknown agency, audience outside its set, days not a number, a name that is markup (and formula-like)
      ['BAD-0001', 'NOSUCH', q(`=${SCRIPT}`), 'Имя', '', '', 'G2X', '', 'active', '', '1', 'abc', 'portal', 'law', '', '', '2020-01-01', ''],
      // an agency code that is an attribute break-out; both fees; no Russian name
      ['BAD-0002', q(IMG), 'Nomi', '', '', '', 'G2C', '', 'active', '10', '1', '3', 'portal', 'law', '', '', '2020-01-01', ''],
      // a name too long, holding markup: cut on the page, whole on demand
      ['BAD-0003', 'DXM', q(`${SCRIPT} ${'x'.repeat(520)}`), 'Имя', '', '', 'G2C', '', 'draft', '', '', '3', 'portal', '', '', '', '', ''],
    ];
    const file = path.join(home.dir, 'bad-services.csv');
    fs.writeFileSync(file, `${text}\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const args = ['validate', 'file', 'services', file, '--agencies', path.join(samples, 'agencies.csv')];
    const json = await cli([...args, '--json']);
    expect(json.code).toBe(3);
    const doc = JSON.parse(json.stdout) as { errors: number; warnings: number; records: number; issues: Array<{ code: string; line: number; key: string; field: string }> };
    const codes = new Set(doc.issues.map((i) => i.code));
    for (const c of ['unknown-reference', 'enum-mismatch', 'type-error', 'pattern-mismatch', 'fee-conflict', 'out-of-range', 'missing-translation', 'formula-like-value']) expect(codes, c).toContain(c);

    const out = path.join(home.dir, 'r.html');
    const r = await cli([...args, '--format', 'html', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`HTML report: ${out}`);

    const { page, requests, refused } = await openFile(browser!.context, out);
    // the totals, first on the page, as a person reads them
    expect(await total(page, 'result')).toBe('not valid');
    expect(await total(page, 'errors')).toBe(String(doc.errors));
    expect(await total(page, 'warnings')).toBe(String(doc.warnings));
    expect(await total(page, 'records')).toBe(String(doc.records));
    expect(await total(page, 'entity')).toBe('services');
    expect(await total(page, 'source')).toBe(file);
    expect(doc.errors).toBeGreaterThanOrEqual(6);

    // the row a person looks for: BAD-0001's agency, under unknown-reference, at its line
    const group = page.locator('section[data-code="unknown-reference"]');
    expect(await group.locator('h2').innerText()).toMatch(/unknown-reference\s+error\s+\d+ issues?/i);
    expect(await group.locator('p.meaning').innerText()).toBe('agency_code or parent_code names no agency.');
    const row = group.getByRole('row').filter({ hasText: 'BAD-0001' });
    expect(await row.count()).toBe(1);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells.slice(0, 5).map((c) => c.replace(/^\w+: /, ''))).toEqual([String(firstBad), 'BAD-0001', 'agency_code', 'NOSUCH', 'agency NOSUCH does not exist']);

    // markup in the data did nothing and shows as the text it is
    await noScriptRan(page);
    expect(await page.getByText(`=${SCRIPT}`, { exact: true }).isVisible()).toBe(true);
    expect(await page.locator('section[data-code="pattern-mismatch"]').getByText(IMG, { exact: true }).first().isVisible()).toBe(true);

    // a long value: cut with an ellipsis, whole in its title and on opening it
    const long = page.locator('section[data-code="out-of-range"] details.long').first();
    const summary = await long.locator('summary').innerText();
    expect(summary.endsWith('…')).toBe(true);
    expect(await long.locator('summary').getAttribute('title')).toBe(`${SCRIPT} ${'x'.repeat(520)}`);
    expect(await long.locator('.full').isVisible()).toBe(false);
    await long.locator('summary').click();
    expect(await long.locator('.full').isVisible()).toBe(true);
    expect(await long.locator('.full').innerText()).toBe(`${SCRIPT} ${'x'.repeat(520)}`);
    // on paper there is nothing to click: closed again, it prints whole
    await long.locator('summary').click();
    expect(await long.locator('.full').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'print' });
    expect(await long.locator('.full').isVisible()).toBe(true);
    await page.emulateMedia({ media: 'screen' });

    // nothing but the file itself was asked for
    expect(refused).toEqual([]);
    expect(requests).toEqual([new URL(`file://${out}`).href]);

    await prints(page);
    await page.close();
    await fitsAPhone(out);
  });

  test('validate db on SQLite: the database\'s issues, each with its entity', async () => {
    const url = `sqlite:${path.join(home.dir, 'html.sqlite')}`;
    expect((await cli(['--db', url, 'migrate', 'latest'])).code).toBe(0);
    expect((await cli(['--db', url, 'import', 'agencies', path.join(samples, 'agencies.csv')])).code).toBe(0);
    expect((await cli(['--db', url, 'import', 'services', path.join(samples, 'services.csv')])).code).toBe(0);
    const db = await connect(targetFor(url));
    try {
      // what an old tool or a hand edit may have left: markup in a name, a parent cycle
      await db.knex('services').where({ code: 'JUS-0001' }).update({ name_uz: `=${SCRIPT}`, sector: `+${IMG}` });
      await db.knex('agencies').where({ code: 'MJ' }).update({ parent_code: 'DXM' });
    } finally {
      await closeKnex(db.knex);
    }
    const out = path.join(home.dir, 'db.html');
    const r = await cli(['--db', url, 'validate', 'db', '--format', 'html', '--out', out, '--json']);
    expect(r.code).toBe(3);
    // with the page in a file, standard output carries the JSON report
    const doc = JSON.parse(r.stdout) as { errors: number; warnings: number; records: number };
    expect(doc).toMatchObject({ valid: false, records: 34 });

    const { page, requests, refused } = await openFile(browser!.context, out);
    expect(await total(page, 'result')).toBe('not valid');
    expect(await total(page, 'errors')).toBe(String(doc.errors));
    expect(await total(page, 'warnings')).toBe(String(doc.warnings));
    expect(await total(page, 'services')).toBe('22 records: 0 errors, 2 warnings');
    const row = page.locator('section[data-code="hierarchy-cycle"]').getByRole('row').filter({ has: page.locator('td[data-label="key"]', { hasText: /^MJ$/ }) });
    expect((await row.locator('td').allInnerTexts()).map((c) => c.replace(/^\w+: /, '')).slice(0, 3)).toEqual(['agencies', 'MJ', 'parent_code']);
    await noScriptRan(page);
    expect(await page.getByText(`=${SCRIPT}`, { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText(`+${IMG}`, { exact: true }).isVisible()).toBe(true);
    expect(refused).toEqual([]);
    expect(requests).toEqual([new URL(`file://${out}`).href]);
    await prints(page);
    await page.close();
    await fitsAPhone(out);
  });

  test('the discipline page (a hand-made report of SPEC §10): bars as long as their rates, "no decisions", names as text', async () => {
    const row = (o: Partial<DisciplineReportDoc['total']>) => ({ applications: 0, decided: 0, on_time: 0, late: 0, open: 0, overdue: 0, on_time_rate: null, median_days: null, p90_days: null, max_days_late: 0, ...o });
    const report: DisciplineReportDoc = {
      from: '2026-01-01', to: '2026-03-31', as_of: '2026-04-15', by: 'agency', time_zone: 'Asia/Tashkent',
      groups: [
        { key: 'ADL', name: `Adliya ${SCRIPT}`, ...row({ applications: 10, decided: 8, on_time: 6, late: 2, on_time_rate: 0.75, median_days: 4, p90_days: 12, max_days_late: 9 }) },
        { key: 'DXM', name: IMG, ...row({ applications: 3, open: 3 }) },
        { key: 'MF', name: 'Iqtisodiyot va moliya vazirligi', ...row({ applications: 4, decided: 4, on_time: 1, late: 3, on_time_rate: 0.25, median_days: 9, p90_days: 20, max_days_late: 14 }) },
      ],
      total: row({ applications: 17, decided: 12, on_time: 7, late: 5, open: 3, on_time_rate: 0.5833, median_days: 5, p90_days: 20, max_days_late: 14 }),
    };
    const out = path.join(home.dir, 'discipline.html');
    fs.writeFileSync(out, renderDisciplineHtml(report, { generatedAt: '2026-04-15T06:00:00.000Z' }));
    const { page, requests, refused } = await openFile(browser!.context, out);
    expect(await total(page, 'applications')).toBe('17');
    expect(await total(page, 'on-time rate')).toBe('58.3 %');
    const rows = page.locator('.chart-row:not(.chart-axis)');
    expect(await rows.count()).toBe(3);
    const width = async (i: number, sel: string) => (await rows.nth(i).locator(sel).boundingBox())?.width ?? -1;
    const track = await width(0, 'rect.track');
    expect(track).toBeGreaterThan(100);
    expect((await width(0, 'rect.fill')) / track).toBeCloseTo(0.75, 2);
    expect((await width(2, 'rect.fill')) / track).toBeCloseTo(0.25, 2);
    expect(await rows.nth(1).locator('rect.fill').count()).toBe(0);
    expect(await rows.nth(1).innerText()).toContain('no decisions');
    expect(await rows.nth(1).locator('.chart-label').innerText()).toBe(`DXM — ${IMG}`);
    await noScriptRan(page);
    expect(await page.getByText(`Adliya ${SCRIPT}`, { exact: true }).first().isVisible()).toBe(true);
    expect(refused).toEqual([]);
    expect(requests).toEqual([new URL(`file://${out}`).href]);
    await page.close();
    await fitsAPhone(out);
  });
});
