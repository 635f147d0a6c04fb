import { describe, expect, test } from 'vitest';
import { disciplineCsv, disciplineTable } from '../../src/report/discipline-format.js';
import { disciplineSql } from '../../src/report/discipline-sql.js';
import { compareKeys, onTimeRate, type DisciplineReportDoc } from '../../src/report/discipline.js';
import { plain } from '../../src/output/logger.js';

describe('on_time_rate: on_time / decided rounded half away from zero to 4 decimals (SPEC §10)', () => {
  test.each([
    [1, 8, 0.125],
    [2, 3, 0.6667],
    [1, 3, 0.3333],
    [1, 160, 0.0063], // 0.00625
    [1, 20000, 0.0001], // 0.00005
    [1, 20001, 0], // 0.0000499…
    [10001, 20000, 0.5001], // 0.50005: toFixed(4) gives 0.5
    [12345, 20000, 0.6173], // 0.61725: toFixed(4) gives 0.6172
    [0, 5, 0],
    [5, 5, 1],
    [99_999_999, 100_000_000, 1],
  ])('%i / %i → %d', (onTime, decided, want) => {
    expect(onTimeRate(onTime, decided)).toBe(want);
  });
  test('nothing decided: null', () => expect(onTimeRate(0, 0)).toBeNull());
});

test('keys in code-point order whatever the collation; the group without a key last', () => {
  expect(['b', null, 'B-2', 'B', 'a-1', 'A'].sort(compareKeys)).toEqual(['A', 'B', 'B-2', 'a-1', 'b', null]);
});

const row = { applications: 3, decided: 2, on_time: 1, late: 1, open: 1, overdue: 1, on_time_rate: 0.5, median_days: 2, p90_days: 7, max_days_late: 4 };
const doc: DisciplineReportDoc = {
  from: '2026-01-01', to: '2026-03-31', as_of: '2026-04-01', by: 'agency', time_zone: 'Asia/Tashkent',
  groups: [
    { key: 'ADL', name: 'Adliya, "bosh" vazirligi', ...row },
    { key: 'FORM', name: '=HYPERLINK("x")', ...row, decided: 0, on_time: 0, late: 0, on_time_rate: null, median_days: null, p90_days: null, max_days_late: 0 },
    { key: null, name: null, ...row },
  ],
  total: { ...row, applications: 9 },
};

test('CSV: the columns of §10 in order, nulls as empty cells, quoting, the formula guard on names', () => {
  expect(disciplineCsv(doc)).toBe([
    'key,name,applications,decided,on_time,late,open,overdue,on_time_rate,median_days,p90_days,max_days_late',
    'ADL,"Adliya, ""bosh"" vazirligi",3,2,1,1,1,1,0.5,2,7,4',
    `FORM,"'=HYPERLINK(""x"")",3,0,0,0,1,1,,,,0`,
    ',,3,2,1,1,1,1,0.5,2,7,4',
    '',
  ].join('\n'));
  expect(disciplineCsv({ ...doc, groups: [] })).toBe('key,name,applications,decided,on_time,late,open,overdue,on_time_rate,median_days,p90_days,max_days_late\n');
});

test('table: a row per group and the total; figures never cut at 80 columns', () => {
  const t = disciplineTable(doc, plain, 80);
  const lines = t.trimEnd().split('\n');
  expect(lines[0]).toBe('discipline by agency: submitted 2026-01-01 … 2026-03-31 (Asia/Tashkent), open as of 2026-04-01');
  expect(lines[1]).toMatch(/^agency\s+apps\s+decided\s+on time\s+late\s+open\s+overdue\s+rate %\s+p50\s+p90\s+max late$/);
  expect(lines[2]).toMatch(/^ADL\s+3\s+2\s+1\s+1\s+1\s+1\s+50\.00\s+2\s+7\s+4$/);
  expect(lines[3]).toMatch(/^FORM\s+3\s+0\s+0\s+0\s+1\s+1\s+—\s+—\s+—\s+0$/);
  expect(lines.at(-1)).toMatch(/^total\s+9\s+2/);
  expect(lines.slice(1).every((l) => l.length <= 80)).toBe(true);
  // wide enough: the names, last
  expect(disciplineTable(doc, plain, 140).split('\n')[2]).toMatch(/4\s+Adliya, "bosh" vazirligi$/);
  expect(disciplineTable({ ...doc, groups: [] }, plain, 80)).toContain('no applications in this period');
});

describe('the query: every value bound, nothing of the user\'s in the SQL text', () => {
  const q = { by: 'agency' as const, fromInstant: '2026-02-28T19:00:00.000Z', toInstant: '2026-03-31T19:00:00.000Z', asOf: '2026-04-01', agencies: ["O'REILLY", 'ADL'], timeZone: "Asia/Tash'kent" };
  test.each(['pg', 'sqlite'] as const)('%s', (dialect) => {
    const { sql, bindings } = disciplineSql(dialect, q);
    expect(sql).not.toContain("O'REILLY");
    expect(sql).not.toContain('Tash');
    expect(sql).not.toContain('2026');
    expect(sql.split('?').length - 1).toBe(bindings.length);
    expect(bindings).toContain('2026-02-28T19:00:00.000Z');
    expect(bindings).toContain('2026-04-01');
    expect(bindings).toContain("O'REILLY");
    if (dialect === 'pg') expect(bindings.filter((b) => b === "Asia/Tash'kent")).toHaveLength(2);
  });
  test('no services join unless grouping by agency or filtering by it', () => {
    expect(disciplineSql('pg', { ...q, by: 'region', agencies: null }).sql).not.toContain('join services');
    expect(disciplineSql('pg', { ...q, by: 'region' }).sql).toContain('join services');
  });
});

describe('percentile_disc is exact for the ranks of SPEC §10', () => {
  test('ceil(0.9·n) in floating point is ⌈9n/10⌉, and ceil(0.5·n) is ⌈n/2⌉, for every n up to 20,000,000', () => {
    // PostgreSQL's percentile_disc takes the row at ceil(percentile · rowcount), in float8
    let bad = 0;
    for (let n = 1; n <= 20_000_000; n++) {
      if (Math.ceil(0.9 * n) !== Math.floor((9 * n + 9) / 10)) bad++;
      if (Math.ceil(0.5 * n) !== Math.floor((n + 1) / 2)) bad++;
    }
    expect(bad).toBe(0);
  });
});
