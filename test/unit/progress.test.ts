import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { createProgress } from '../../src/output/progress.js';

function stream(isTTY: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  s.isTTY = isTTY;
  s.columns = 200;
  let out = '';
  s.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { s, out: () => out };
}
const flush = () => new Promise((r) => setImmediate(r));

test('on a terminal, the input size known in bytes: records, records/s, share done and ETA', async () => {
  const { s, out } = stream(true);
  let now = 0;
  const p = createProgress(s, 'importing', { now: () => now, minRecords: 0 });
  p.total(1000, 'bytes');
  now = 2000;
  p.update(5000, 250);
  await flush();
  expect(out()).toBe(`\r[######------------------]  25% importing: 5,000 records, 2,500/s, ETA 6s\x1b[K`);
  now = 2100;
  p.update(6000, 300); // within 200 ms of the last draw: not redrawn
  p.done();
  await flush();
  expect(out().endsWith('\x1b[K\r\x1b[K')).toBe(true);
  expect(out().split('\r').length).toBe(3);
});

test('the output size known in records (export)', async () => {
  const { s, out } = stream(true);
  let now = 0;
  const p = createProgress(s, 'exporting services', { now: () => now });
  p.total(20_000);
  now = 1000;
  p.update(10_000);
  await flush();
  expect(out()).toBe(`\r[############------------]  50% exporting services: 10,000 records, 10,000/s, ETA 1s\x1b[K`);
});

test('without a size: no bar and no ETA; a phase relabels the line', async () => {
  const { s, out } = stream(true);
  let now = 0;
  const p = createProgress(s, 'importing', { now: () => now, minRecords: 0 });
  now = 1000;
  p.update(1200, 0);
  p.phase('merging');
  await flush();
  expect(out()).toBe('\rimporting: 1,200 records, 1,200/s\x1b[K\rmerging: 1,200 records, 1,200/s\x1b[K');
});

test('nothing for a few records, nothing without a terminal, nothing when disabled', async () => {
  const small = stream(true);
  const p = createProgress(small.s, 'x', { now: () => 5000 });
  p.total(100);
  p.update(50);
  p.done();
  const pipe = stream(false);
  const q = createProgress(pipe.s, 'x', { minRecords: 0 });
  q.total(1000, 'bytes');
  q.update(100, 100);
  q.phase('merging');
  q.done();
  const quiet = stream(true);
  const r = createProgress(quiet.s, 'x', { enabled: false, minRecords: 0 });
  r.update(100_000);
  await flush();
  expect([small.out(), pipe.out(), quiet.out()]).toEqual(['', '', '']);
});

test('an export counted in lines never shows more records than the total (issue 13.10)', async () => {
  const { s, out } = stream(true);
  let now = 0;
  const p = createProgress(s, 'exporting services', { now: () => now });
  p.total(30_000);
  now = 1000;
  p.update(31_788); // CSV lines: some records hold a line break
  await flush();
  expect(out()).toBe(`\r[########################] 100% exporting services: 30,000 records, 30,000/s, ETA 0s\x1b[K`);
});
