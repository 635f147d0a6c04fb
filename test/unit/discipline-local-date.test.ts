import { expect, test } from 'vitest';
import { localDateFunction } from '../../src/db/dialect/sqlite-local-date.js';
import { TimeZone } from '../../src/time/zone.js';
import { rng } from '../helpers/applications-gen.js';

// The SQLite report's local date must be exactly the local date in any IANA zone: checked
// against Intl's own formatter (not the tool's TimeZone) at random instants and at every
// instant a minute either side of each offset change, in zones with summer time, half-hour
// and 45-minute offsets, and a 30-minute summer shift.

const ZONES = ['Asia/Tashkent', 'UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/Santiago', 'Asia/Tehran'];
const iso = (ms: number) => new Date(ms).toISOString();

test.each(ZONES)('%s: random instants and both sides of every change, 2024–2027', (name) => {
  const f = localDateFunction(new TimeZone(name));
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: name, year: 'numeric', month: '2-digit', day: '2-digit' });
  const truth = (ms: number) => fmt.format(new Date(ms));
  const r = rng(name.length);
  const from = Date.UTC(2024, 0, 1);
  const to = Date.UTC(2027, 11, 31);
  for (let i = 0; i < 5_000; i++) {
    const ms = from + Math.floor(r() * (to - from));
    if (f(iso(ms)) !== truth(ms)) expect(f(iso(ms)), iso(ms)).toBe(truth(ms));
  }
  // the offset changes, found by Intl hour by hour, then each minute around them
  let changes = 0;
  const offFmt = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
  const off = (ms: number) => offFmt.format(new Date(ms));
  let prev = off(from);
  for (let ms = from; ms < to; ms += 3 * 3_600_000) {
    const o = off(ms);
    if (o === prev) continue;
    prev = o;
    changes++;
    for (let m = ms - 4 * 3_600_000; m <= ms + 3_600_000; m += 60_000) if (f(iso(m)) !== truth(m)) expect(f(iso(m)), iso(m)).toBe(truth(m));
  }
  if (name !== 'Asia/Tashkent' && name !== 'UTC' && name !== 'Asia/Kathmandu' && name !== 'Asia/Tehran') expect(changes).toBeGreaterThan(5);
});

test('other ISO 8601 forms are parsed too; null stays null; a malformed value is an error', () => {
  const f = localDateFunction(new TimeZone('Asia/Tashkent'));
  expect(f('2026-03-31T19:30:00.000Z')).toBe('2026-04-01');
  expect(f('2026-03-31T19:30:00Z')).toBe('2026-04-01');
  expect(f('2026-03-31T18:59:59.999Z')).toBe('2026-03-31');
  expect(f('2026-03-31T23:30:00+05:00')).toBe('2026-03-31');
  expect(f(null)).toBeNull();
  expect(() => f('yesterday')).toThrow(/malformed/);
  expect(() => f('2026-03-31T99:30:00.000Z')).toThrow(/malformed/);
});
