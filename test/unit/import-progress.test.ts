import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { createProgress } from '../../src/import/progress.js';

function stream(isTTY: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  s.isTTY = isTTY;
  s.columns = 200;
  let out = '';
  s.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { s, out: () => out };
}

test('on a terminal: records, records/s, share done and ETA when the size is known', async () => {
  const { s, out } = stream(true);
  let now = 0;
  const p = createProgress(s, 1000, () => now);
  now = 2000;
  p.tick(5000, 250);
  await new Promise((r) => setImmediate(r));
  expect(out()).toBe(`\r[######------------------]  25% importing: 5,000 records, 2,500/s, ETA 6s\x1b[K`);
  now = 2100;
  p.tick(6000, 300); // within 200 ms of the last draw: not redrawn
  p.done();
  await new Promise((r) => setImmediate(r));
  expect(out().endsWith('\x1b[K\r\x1b[K')).toBe(true);
  expect(out().split('\r').length).toBe(3);
});

test('without a size: no bar and no ETA', async () => {
  const { s, out } = stream(true);
  let now = 0;
  const p = createProgress(s, null, () => now);
  now = 1000;
  p.tick(1200, 0);
  await new Promise((r) => setImmediate(r));
  expect(out()).toBe('\rimporting: 1,200 records, 1,200/s\x1b[K');
});

test('without a terminal: nothing at all', async () => {
  const { s, out } = stream(false);
  let now = 0;
  const p = createProgress(s, 1000, () => now);
  now = 5000;
  p.tick(100, 100);
  p.phase('merging');
  p.done();
  await new Promise((r) => setImmediate(r));
  expect(out()).toBe('');
});
