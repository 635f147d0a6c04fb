import { describe, expect, it } from 'vitest';
import { TimeZone, addDays, daysBetween, timeZoneProblem } from '../../src/time/zone.js';

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
