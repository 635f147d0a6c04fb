import { describe, expect, test } from 'vitest';
import { RULES, issue } from '../../src/records/issues.js';
import { RULE_MEANINGS, ruleMeaning } from '../../src/records/rule-meanings.js';
import { groupIssues, renderValidationHtml, type HtmlValidationReport, type ReportIssue } from '../../src/output/html/validation-report.js';
import { renderDisciplineHtml, type DisciplineReportDoc } from '../../src/output/html/discipline-report.js';

// The two report pages of SPEC §11, from report objects made by hand.

const SCRIPT = '<script>window.__pwned=1</script>';
const AT = '2026-12-01T10:00:00.000Z';

const sections = (page: string) => [...page.matchAll(/<section class="group" id="[^"]+" data-code="([^"]+)">/g)].map((m) => m[1]);
const sectionOf = (page: string, code: string) => page.slice(page.indexOf(`data-code="${code}"`), page.indexOf('</section>', page.indexOf(`data-code="${code}"`)));

describe('rule meanings', () => {
  test('every rule the validator has, and every code of SPEC §3, has one sentence', () => {
    for (const code of Object.keys(RULES)) expect(ruleMeaning(code), code).toMatch(/^\S.+\.$/);
    expect(Object.keys(RULE_MEANINGS)).toEqual(expect.arrayContaining(['audience-mismatch', 'channel-mismatch']));
    expect(ruleMeaning('no-such-code')).toBeNull();
  });
});

describe('the validation page', () => {
  const issues: ReportIssue[] = [
    issue('missing-translation', { line: 2, key: 'A-1' }, 'name_ru', null, 'name_ru (name in Russian) is empty'),
    issue('unknown-reference', { line: 3, key: 'BIZ-0007' }, 'agency_code', 'NOSUCH', 'agency NOSUCH does not exist'),
    issue('type-error', { line: 4, key: SCRIPT }, 'processing_days', '"><img src=x onerror="window.__pwned=2">', 'processing_days must be a whole number'),
    issue('unknown-reference', { line: 9, record: 8, key: 'BIZ-0009' }, 'agency_code', 'ZZZ', 'agency ZZZ does not exist'),
    { ...issue('pattern-mismatch', { line: 17, key: 'X-1' }, 'tin', '12345678', 'tin lost its leading zero'), cell: 'F17' },
  ];
  const report: HtmlValidationReport = { valid: false, entity: 'services', source: `reg-${SCRIPT}.csv`, records: 20, errors: 4, warnings: 1, truncated: false, issues };
  const page = renderValidationHtml(report, { generatedAt: AT, toolVersion: '9.9.9' });

  test('the totals first: verdict, records, errors, warnings, entity, when, source', () => {
    const totals = page.slice(page.indexOf('<section class="summary"'), page.indexOf('</section>'));
    expect(page.indexOf('<section class="summary"')).toBeLessThan(page.indexOf('<section class="group"'));
    expect(totals).toContain('<span class="verdict bad">not valid</span>');
    expect(totals).toContain('<dt>records</dt><dd>20</dd>');
    expect(totals).toContain('<div class="err"><dt>errors</dt><dd>4</dd>');
    expect(totals).toContain('<div class="warn"><dt>warnings</dt><dd>1</dd>');
    expect(totals).toContain('<dt>entity</dt><dd>services</dd>');
    expect(totals).toContain('2026-12-01 10:00:00 UTC');
    expect(totals).toContain('<dt>issues listed</dt><dd>all 5</dd>');
    expect(totals).toContain('reg-&lt;script&gt;');
  });

  test('groups by code: errors first in the order of SPEC §3, then warnings; each with severity, count, meaning', () => {
    expect(sections(page)).toEqual(['type-error', 'pattern-mismatch', 'unknown-reference', 'missing-translation']);
    const ref = sectionOf(page, 'unknown-reference');
    expect(ref).toContain('<span class="badge error">error</span> <span class="count">2 issues</span>');
    expect(ref).toContain(`<p class="meaning">${RULE_MEANINGS['unknown-reference']}</p>`);
    expect(ref).toContain('<td class="num" data-label="line">3</td><td class="nowrap" data-label="key">BIZ-0007</td><td data-label="field">agency_code</td><td data-label="value">NOSUCH</td><td data-label="message">agency NOSUCH does not exist</td>');
    expect(ref).toContain('<td class="num" data-label="line">9 (#8)</td>');
    expect(sectionOf(page, 'missing-translation')).toContain('<span class="badge warning">warning</span> <span class="count">1 issue</span>');
  });

  test('a cell column where the reader gave cells, none elsewhere', () => {
    expect(sectionOf(page, 'pattern-mismatch')).toContain('<td data-label="cell">F17</td>');
    expect(sectionOf(page, 'unknown-reference')).not.toContain('data-label="cell"');
  });

  test('values from the data are text', () => {
    expect(page).not.toMatch(/<script|<img/);
    expect(page).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
  });

  test('a table of contents links each group', () => {
    expect(page).toContain('<li><a href="#code-unknown-reference">unknown-reference</a> <span class="count">2</span></li>');
  });

  test('database issues: the entity column, no line column; per-entity counts; truncation and --strict said', () => {
    const db = renderValidationHtml({
      valid: false, entity: 'all' as never, source: 'central', records: 30, errors: 0, warnings: 3, truncated: true,
      issues: [{ ...issue('unused-agency', { line: null, key: 'DXM' }, 'code', 'DXM', 'agency DXM is active but provides no service'), entity: 'agencies' }],
      entities: { agencies: { records: 10, errors: 0, warnings: 2 }, services: { records: 20, errors: 0, warnings: 1 } },
    }, { generatedAt: AT });
    const g = sectionOf(db, 'unused-agency');
    expect(g).toContain('<td data-label="entity">agencies</td><td class="nowrap" data-label="key">DXM</td>');
    expect(g).not.toContain('data-label="line"');
    expect(db).toContain('<dt>agencies</dt><dd>10 records: 0 errors, 2 warnings</dd>');
    expect(db).toContain('<dt>issues listed</dt><dd>1 of 3 (truncated)</dd>');
    expect(db).toContain('--max-issues');
    expect(db).toContain('warnings fail this validation (--strict)');
  });

  test('a valid file: the verdict and "No issues found"', () => {
    const ok = renderValidationHtml({ valid: true, entity: 'agencies', source: 'a.csv', records: 3, errors: 0, warnings: 0, truncated: false, issues: [] }, { generatedAt: AT });
    expect(ok).toContain('<span class="verdict ok">valid</span>');
    expect(ok).toContain('No issues found.');
    expect(ok).toContain('<dt>issues listed</dt><dd>none</dd>');
    expect(ok).toContain('<div><dt>errors</dt><dd>0</dd></div>');
  });

  test('--max-issues 0: nothing listed, never "No issues found"', () => {
    const none = renderValidationHtml({ valid: false, entity: 'services', source: 's.csv', records: 3, errors: 2, warnings: 0, truncated: true, issues: [] }, { generatedAt: AT });
    expect(none).not.toContain('No issues found');
    expect(none).toContain('No issue is listed (--max-issues 0)');
    expect(none).toContain('<dt>issues listed</dt><dd>0 of 2 (truncated)</dd>');
  });

  test('groupIssues keeps the order of the issues inside a group', () => {
    expect(groupIssues(issues).find((g) => g.code === 'unknown-reference')!.issues.map((i) => i.line)).toEqual([3, 9]);
  });
});

describe('the discipline page (a hand-made report of the shape of SPEC §10)', () => {
  const row = (o: Partial<DisciplineReportDoc['total']>) => ({ applications: 0, decided: 0, on_time: 0, late: 0, open: 0, overdue: 0, on_time_rate: null, median_days: null, p90_days: null, max_days_late: 0, ...o });
  const report: DisciplineReportDoc = {
    from: '2026-01-01', to: '2026-03-31', as_of: '2026-04-15', by: 'agency', time_zone: 'Asia/Tashkent',
    groups: [
      { key: 'ADL', name: `Adliya ${SCRIPT}`, ...row({ applications: 10, decided: 8, on_time: 6, late: 2, open: 2, overdue: 1, on_time_rate: 0.75, median_days: 4, p90_days: 12, max_days_late: 9 }) },
      { key: 'DXM', name: 'Davlat xizmatlari markazi', ...row({ applications: 3, open: 3, overdue: 0 }) },
    ],
    total: row({ applications: 13, decided: 8, on_time: 6, late: 2, open: 5, overdue: 1, on_time_rate: 0.75, median_days: 4, p90_days: 12, max_days_late: 9 }),
  };
  const page = renderDisciplineHtml(report, { generatedAt: AT, source: 'central' });

  test('the totals of the period first', () => {
    const totals = page.slice(page.indexOf('<section class="summary"'), page.indexOf('</section>'));
    expect(totals).toContain('<dt>period (submitted)</dt><dd>2026-01-01 – 2026-03-31</dd>');
    expect(totals).toContain('<dt>as of</dt><dd>2026-04-15</dd>');
    expect(totals).toContain('<dt>applications</dt><dd>13</dd>');
    expect(totals).toContain('<dt>on-time rate</dt><dd>75.0 %</dd>');
    expect(totals).toContain('<div class="err"><dt>late</dt><dd>2</dd>');
    expect(totals).toContain('<div class="warn"><dt>overdue</dt><dd>1</dd>');
    expect(totals).toContain('<dt>time zone</dt><dd>Asia/Tashkent</dd>');
  });

  test('a bar per group: its rate, or "no decisions"; the name escaped', () => {
    const chart = page.slice(page.indexOf('<figure class="chart"'), page.indexOf('</figure>'));
    const rows = chart.split('<li class="chart-row">').slice(1, 3);
    expect(rows[0]).toContain('<span class="chart-label">ADL — Adliya &lt;script&gt;window.__pwned=1&lt;/script&gt;</span>');
    expect(rows[0]).toContain('<rect class="fill" x="0" y="0" width="75" height="10"/>');
    expect(rows[0]).toContain('<span class="chart-value">75.0 %</span>');
    expect(rows[1]).toContain('<span class="chart-label">DXM — Davlat xizmatlari markazi</span>');
    expect(rows[1]).not.toContain('class="fill"');
    expect(rows[1]).toContain('no decisions');
    expect(page).not.toContain('<script');
  });

  test('the table: every column of SPEC §10, nulls shown as such', () => {
    for (const h of ['key', 'name', 'applications', 'decided', 'on time', 'late', 'open', 'overdue', 'on-time rate', 'median days', 'p90 days', 'max days late']) expect(page).toContain(`scope="col">${h}</th>`);
    expect(page).toContain('<td class="num" data-label="applications">10</td><td class="num" data-label="decided">8</td><td class="num" data-label="on time">6</td><td class="num" data-label="late">2</td><td class="num" data-label="open">2</td><td class="num" data-label="overdue">1</td><td class="num" data-label="on-time rate">75.0 %</td><td class="num" data-label="median days">4</td><td class="num" data-label="p90 days">12</td><td class="num" data-label="max days late">9</td>');
    expect(page).toContain('<td class="num" data-label="on-time rate"><span class="none">no decisions</span></td><td class="num" data-label="median days"><span class="none">—</span></td>');
  });

  test('groups by month have no name column; an empty period says so', () => {
    const month = renderDisciplineHtml({ ...report, by: 'month', groups: [{ key: '2026-01', name: null, ...row({ applications: 1 }) }] }, { generatedAt: AT });
    expect(month).not.toContain('scope="col">name</th>');
    const empty = renderDisciplineHtml({ ...report, groups: [], total: row({}) }, { generatedAt: AT });
    expect(empty).toContain('No applications were submitted in this period.');
    expect(empty).not.toContain('<svg');
    expect(empty).not.toContain('<figure');
    expect(empty).toContain('<dt>on-time rate</dt><dd>no decisions</dd>');
  });
});
