// samples/applications.csv: every row keeps the field rules of SPEC §1, refers to the sample
// services and agencies, and together they show what a discipline report is for (§10):
// every status, late and on-time decisions, open and overdue ones, a submission just after
// midnight in Tashkent, a deadline given in the file, a regional office handling one.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../src/records/validate.js';
import { APPLICATION_ID_PATTERN, APPLICATION_STATUSES, AUDIENCES, CHANNELS, REGIONS, inputFields } from '../../src/records/fields.js';
import { TimeZone, addDays, daysBetween } from '../../src/time/zone.js';

type Row = Record<string, string>;
const samples = path.resolve(import.meta.dirname, '../../samples');
const read = (name: string) => fs.readFileSync(path.join(samples, name), 'utf8');
const rows = (name: string) => parse(read(name), { columns: true, bom: true }) as Row[];

const apps = rows('applications.csv');
const services = new Map(rows('services.csv').map((s) => [s.code!, s]));
const agencies = new Map(rows('agencies.csv').map((a) => [a.code!, a]));
const zone = new TimeZone('Asia/Tashkent');
const isDecided = (a: Row) => a.status === 'completed' || a.status === 'rejected';
const isOpen = (a: Row) => a.status === 'received' || a.status === 'in_progress';
const dueOf = (a: Row) => a.due_on || addDays(zone.localDate(a.submitted_at!), Number(services.get(a.service_code!)!.processing_days));
// the day the samples were made: whatever is overdue then stays overdue
const MADE = '2026-12-02';

describe('samples/applications.csv', () => {
  it('has the header of §1 without updated_at and is small enough to read', () => {
    expect(read('applications.csv').split('\n')[0]).toBe(inputFields('applications').map((f) => f.name).join(','));
    expect(apps.length).toBeGreaterThanOrEqual(30);
    expect(apps.length).toBeLessThanOrEqual(60);
    expect(read('applications.csv').endsWith('\n')).toBe(true);
    expect(read('applications.csv')).not.toContain('\r');
  });

  it('passes the field rules of the validator', () => {
    apps.forEach((fields, i) => {
      const c = checkRecord('applications', { line: i + 2, fields });
      expect(c.issues, `line ${i + 2}`).toEqual([]);
    });
  });

  it('keeps the rules of §1 checked here in plain JS: patterns, sets, times', () => {
    const ids = new Set<string>();
    for (const a of apps) {
      expect(a.id).toMatch(APPLICATION_ID_PATTERN);
      expect(a.id!.length).toBeLessThanOrEqual(64);
      expect(ids.has(a.id!), `id ${a.id} twice`).toBe(false);
      ids.add(a.id!);
      expect(AUDIENCES).toContain(a.audience);
      expect(CHANNELS).toContain(a.channel);
      expect(REGIONS).toContain(a.region);
      expect(APPLICATION_STATUSES).toContain(a.status);
      expect(a.submitted_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(a.submitted_at!)).toBeLessThan(Date.parse(`${MADE}T00:00:00Z`));
      if (a.due_on) expect(a.due_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (isDecided(a)) expect(a.decided_at, a.id).not.toBe('');
      if (isOpen(a)) expect(a.decided_at, a.id).toBe('');
      if (a.decided_at) {
        expect(a.decided_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(Date.parse(a.decided_at)).toBeGreaterThanOrEqual(Date.parse(a.submitted_at!));
      }
    }
  });

  it('refers to sample services that are active, and handling agencies that are offices of the service\'s agency', () => {
    for (const a of apps) {
      const s = services.get(a.service_code!);
      expect(s, `service ${a.service_code}`).toBeDefined();
      expect(s!.status).toBe('active');
      if (a.handled_by) {
        const h = agencies.get(a.handled_by);
        expect(h, `agency ${a.handled_by}`).toBeDefined();
        expect(h!.parent_code).toBe(s!.agency_code);
        expect(h!.region).toBe(a.region);
      }
    }
  });

  it('matches the service\'s audience and channels except for one warning of each kind', () => {
    const mismatch = (field: 'audience' | 'channels', value: 'audience' | 'channel') =>
      apps.filter((a) => !services.get(a.service_code!)![field]!.split('|').includes(a[value]!)).map((a) => a.id);
    expect(mismatch('audience', 'audience')).toEqual(['EPG-2026-0119']);
    expect(mismatch('channels', 'channel')).toEqual(['MOB-2026-0112']);
  });

  it('shows every case of the discipline report', () => {
    for (const s of APPLICATION_STATUSES) expect(apps.some((a) => a.status === s), s).toBe(true);
    const late = apps.filter((a) => isDecided(a) && zone.localDate(a.decided_at!) > dueOf(a));
    const onTime = apps.filter((a) => isDecided(a) && zone.localDate(a.decided_at!) <= dueOf(a));
    expect(late.length).toBeGreaterThanOrEqual(5);
    expect(onTime.length).toBeGreaterThan(late.length);
    const overdue = apps.filter((a) => isOpen(a) && dueOf(a) < MADE);
    expect(overdue.length).toBeGreaterThanOrEqual(2);
    expect(apps.some((a) => isOpen(a) && dueOf(a) >= MADE)).toBe(true);
    // a withdrawal with and without the time it was withdrawn
    expect(apps.filter((a) => a.status === 'withdrawn').map((a) => a.decided_at !== '').sort()).toEqual([false, true]);
    // handled by a regional office (an agency with a parent)
    expect(apps.some((a) => a.handled_by && agencies.get(a.handled_by)!.parent_code)).toBe(true);
  });

  it('has a submission just after midnight in Tashkent, still the previous day in UTC, whose deadline is its local date', () => {
    const a = apps.find((x) => x.id === 'EPG-2026-0106')!;
    expect(a.submitted_at).toBe('2026-10-14T19:20:00.000Z');
    expect(zone.localDate(a.submitted_at!)).toBe('2026-10-15');
    expect(services.get(a.service_code!)!.processing_days).toBe('0');
    // decided the same local day: on time; counted on the UTC date it would be late
    expect(zone.localDate(a.decided_at!)).toBe(dueOf(a));
    // and one decided just after local midnight: the same UTC date, a day late
    const b = apps.find((x) => x.id === 'API-2026-0133')!;
    expect(b.decided_at!.slice(0, 10)).toBe(b.submitted_at!.slice(0, 10));
    expect(daysBetween(dueOf(b), zone.localDate(b.decided_at!))).toBe(1);
  });

  it('has a deadline given in the file that keeps a decision on time', () => {
    const given = apps.filter((a) => a.due_on !== '');
    expect(given.map((a) => a.id)).toEqual(['API-2026-0121']);
    const a = given[0]!;
    const fromService = addDays(zone.localDate(a.submitted_at!), Number(services.get(a.service_code!)!.processing_days));
    expect(zone.localDate(a.decided_at!) > fromService).toBe(true);
    expect(zone.localDate(a.decided_at!) <= a.due_on!).toBe(true);
  });
});
