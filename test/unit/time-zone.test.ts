import { describe, expect, it } from 'vitest';
import { TimeZone, addDays, daysBetween, instantMs, timeZoneProblem } from '../../src/time/zone.js';

describe('the registry time zone', () => {
  it('puts 19:00 UTC on the next local day in Tashkent (UTC+05:00)', () => {
    const tz = new TimeZone('Asia/Tashkent');
    expect(tz.localDate('2026-03-31T18:59:59.999Z')).toBe('2026-03-31');
    expect(tz.localDate('2026-03-31T19:00:00.000Z')).toBe('2026-04-01');
    expect(tz.localMonth('2026-03-31T19:00:00.000Z')).toBe('2026-04');
    expect(new Date(tz.startOf('2026-04-01')).toISOString()).toBe('2026-03-31T19:00:00.000Z');
  });

  it('follows daylight saving time (New York) on both sides of a change', () => {
    const tz = new TimeZone('America/New_York');
    expect(tz.localDate('2026-03-08T04:59:00.000Z')).toBe('2026-03-07'); // 23:59 EST
    expect(tz.localDate('2026-03-09T03:59:00.000Z')).toBe('2026-03-08'); // 23:59 EDT
    expect(tz.localDate('2026-03-09T04:00:00.000Z')).toBe('2026-03-09');
    expect(new Date(tz.startOf('2026-03-09')).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(new Date(tz.startOf('2026-01-15')).toISOString()).toBe('2026-01-15T05:00:00.000Z');
  });

  it('starts a day whose midnight was skipped at the transition (São Paulo, 2018-11-04)', () => {
    const tz = new TimeZone('America/Sao_Paulo');
    // Clocks went from 00:00 to 01:00 local: the day began at 03:00 UTC.
    expect(new Date(tz.startOf('2018-11-04')).toISOString()).toBe('2018-11-04T03:00:00.000Z');
    expect(tz.localDate('2018-11-04T02:59:59.000Z')).toBe('2018-11-03');
  });

  it('is UTC in UTC, and rejects names it does not know', () => {
    const tz = new TimeZone('UTC');
    expect(tz.localDate('2026-12-31T23:59:59.999Z')).toBe('2026-12-31');
    expect(timeZoneProblem('Asia/Tashkent')).toBeNull();
    expect(timeZoneProblem('Mars/Olympus')).toMatch(/not a time zone/);
    expect(timeZoneProblem(5)).toMatch(/IANA/);
    expect(() => new TimeZone('Nowhere/Else')).toThrow(RangeError);
  });

  it('counts days across months and leap years', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 0)).toBe('2026-12-31');
    expect(addDays('2026-12-31', 365)).toBe('2027-12-31');
    expect(daysBetween('2026-01-30', '2026-03-01')).toBe(30);
    expect(daysBetween('2026-03-01', '2026-01-30')).toBe(-30);
  });
});

describe('the cached offsets agree with Intl', () => {
  it('every 7 minutes of 2026 in New York, Lord Howe (30-minute DST) and Tashkent', () => {
    for (const name of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Tashkent']) {
      const tz = new TimeZone(name);
      const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: name, year: 'numeric', month: '2-digit', day: '2-digit' });
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 7 * 60_000) {
        const want = fmt.format(new Date(ms));
        const got = tz.localDate(ms);
        if (got !== want) expect(`${name} ${new Date(ms).toISOString()} ${got}`).toBe(`${name} ${new Date(ms).toISOString()} ${want}`);
      }
    }
  });
  it('instantMs reads the canonical form as Date.parse does, and anything else through Date.parse', () => {
    for (const iso of ['2026-01-31T08:00:00.000Z', '1999-12-31T23:59:59.999Z', '2024-02-29T00:00:00.001Z', '0999-01-01T00:00:00.000Z', '0050-06-01T00:00:00.000Z']) {
      expect(instantMs(iso)).toBe(Date.parse(iso));
    }
    // 20,000 instants spread over the years 1–9999
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const lo = Date.parse('0001-01-01T00:00:00.000Z');
    const hi = Date.parse('9999-12-31T23:59:59.999Z');
    for (let i = 0; i < 20_000; i++) {
      const iso = new Date(Math.floor(lo + rand() * (hi - lo))).toISOString();
      if (instantMs(iso) !== Date.parse(iso)) expect(`${iso} ${instantMs(iso)}`).toBe(`${iso} ${Date.parse(iso)}`);
    }
    expect(instantMs('2026-01-31T08:00:00Z')).toBe(Date.parse('2026-01-31T08:00:00Z'));
    expect(instantMs('2026-01-31T13:00:00+05:00')).toBe(Date.parse('2026-01-31T08:00:00Z'));
  });
});

describe('instantMs on text that only looks canonical', () => {
  it.each(['2026-03-31T99:30:00.000Z', '2026-03-31T19:60:00.000Z', '2026-13-01T00:00:00.000Z', '2026-0a-01T00:00:00.000Z', 'yesterday-is-not-a-timeZ'])(
    '%s is NaN, as Date.parse says', (v) => {
      expect(instantMs(v)).toBeNaN();
    });
});
