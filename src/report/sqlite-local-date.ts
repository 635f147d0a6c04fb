import { isoDate, type TimeZone } from '../time/zone.js';

// SQLite has no time zones: the report's local dates come from a function the tool
// registers on its connection, called twice for each application. TimeZone.localDate is
// exact but costs microseconds a call when timestamps come in no order (its offset cache is
// per quarter hour); here the offsets are known per UTC day — one offset, or the instant
// where it changes — so a call is a parse of the fixed ISO 8601 form the tool stores, a
// map lookup and an addition. The offsets themselves are TimeZone's, the same the import
// uses for deadlines, so both agree in any IANA zone.

const DAY = 86_400_000;
const QUARTER = 900_000;

interface UtcDay {
  start: number;
  off0: number;
  /** the instant the offset becomes off1 (Infinity: it does not change that day) */
  at: number;
  off1: number;
  /** more than one change in the day: ask the zone for each instant */
  irregular: boolean;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` → epoch ms, or NaN when the text is not in exactly that form. */
function parseStored(s: string, dayStart: (date: string) => number): number {
  if (s.length !== 24 || s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(23) !== 90 /* Z */ || s.charCodeAt(19) !== 46 /* . */) return NaN;
  const n = (i: number) => s.charCodeAt(i) - 48;
  const h = n(11) * 10 + n(12);
  const m = n(14) * 10 + n(15);
  const sec = n(17) * 10 + n(18);
  const ms = n(20) * 100 + n(21) * 10 + n(22);
  if (!(h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60 && ms >= 0 && ms < 1000)) return NaN;
  return dayStart(s.slice(0, 10)) + ((h * 60 + m) * 60 + sec) * 1000 + ms;
}

export function localDateFunction(zone: TimeZone): (ts: unknown) => string | null {
  const days = new Map<number, UtcDay>();
  const starts = new Map<string, number>();
  const names = new Map<number, string>();
  const dayStart = (date: string): number => {
    let v = starts.get(date);
    if (v === undefined) {
      v = Date.parse(`${date}T00:00:00Z`);
      if (starts.size > 200_000) starts.clear();
      starts.set(date, v);
    }
    return v;
  };
  const utcDay = (index: number): UtcDay => {
    let d = days.get(index);
    if (d) return d;
    const start = index * DAY;
    const off0 = zone.offsetAt(start);
    const offEnd = zone.offsetAt(start + DAY - 1);
    d = { start, off0, at: Infinity, off1: off0, irregular: false };
    if (offEnd !== off0) {
      // the first quarter hour with another offset (TimeZone's offsets change on quarter hours)
      let lo = 0;
      let hi = DAY / QUARTER - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (zone.offsetAt(start + mid * QUARTER) !== off0) hi = mid;
        else lo = mid + 1;
      }
      d.at = start + lo * QUARTER;
      d.off1 = zone.offsetAt(d.at);
      d.irregular = d.off1 !== offEnd;
    }
    if (days.size > 200_000) days.clear();
    days.set(index, d);
    return d;
  };
  return (ts: unknown): string | null => {
    if (ts === null || ts === undefined) return null;
    const s = String(ts);
    let ms = parseStored(s, dayStart);
    if (Number.isNaN(ms)) ms = Date.parse(s);
    if (Number.isNaN(ms)) throw new Error(`a stored timestamp is malformed: ${JSON.stringify(s.slice(0, 40))}`);
    const d = utcDay(Math.floor(ms / DAY));
    const off = d.irregular ? zone.offsetAt(ms) : ms < d.at ? d.off0 : d.off1;
    const local = Math.floor((ms + off) / DAY);
    let name = names.get(local);
    if (name === undefined) {
      name = isoDate(local * DAY);
      if (names.size > 200_000) names.clear();
      names.set(local, name);
    }
    return name;
  };
}
