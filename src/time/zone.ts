// The registry's time zone (SPEC §10): the config file's `timeZone`, an IANA name, default
// Asia/Tashkent. Deadlines, the discipline report's periods and its months are local dates
// in that zone. Intl does the zone arithmetic; offsets are cached per quarter hour (every
// offset change in the tz database falls on a quarter hour of UTC), so that ten million
// timestamps cost ten million additions, not ten million Intl calls.

export const DEFAULT_TIME_ZONE = 'Asia/Tashkent';

const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;

/** Why a time-zone name is not usable, or null when it is. */
export function timeZoneProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'must be an IANA time-zone name such as "Asia/Tashkent"';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return null;
  } catch {
    return `"${name}" is not a time zone this system knows (an IANA name such as "Asia/Tashkent" or "UTC")`;
  }
}

export class TimeZone {
  private readonly fmt: Intl.DateTimeFormat;
  /** quarter-hour index → offset in ms (local − UTC) */
  private readonly offsets = new Map<number, number>();

  constructor(readonly name: string = DEFAULT_TIME_ZONE) {
    const problem = timeZoneProblem(name);
    if (problem) throw new RangeError(`timeZone ${problem}`);
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
  }

  /** UTC day number → the offset all that day, or NaN when it changes during the day */
  private readonly days = new Map<number, number>();

  /** local − UTC, in ms, at instant `ms`. */
  offsetAt(ms: number): number {
    // Most days have one offset all day: two Intl calls a day, not one per quarter hour
    // (a year of applications spans 35,000 quarter hours). No zone changes twice a day.
    const day = Math.floor(ms / DAY_MS);
    let whole = this.days.get(day);
    if (whole === undefined) {
      const a = this.computeOffset(day * DAY_MS);
      whole = a === this.computeOffset(day * DAY_MS + DAY_MS - 1000) ? a : NaN;
      if (this.days.size > 100_000) this.days.clear();
      this.days.set(day, whole);
    }
    if (!Number.isNaN(whole)) return whole;
    const q = Math.floor(ms / QUARTER_MS);
    let off = this.offsets.get(q);
    if (off === undefined) {
      off = this.computeOffset(q * QUARTER_MS);
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(q, off);
    }
    return off;
  }

  private computeOffset(ms: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.fmt.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    return asUtc - Math.floor(ms / 1000) * 1000;
  }

  /** The local date (YYYY-MM-DD) of an instant: epoch ms or ISO 8601 text. */
  localDate(instant: number | string): string {
    const ms = typeof instant === 'number' ? instant : instantMs(instant);
    return isoDate(ms + this.offsetAt(ms));
  }

  /** The local month (YYYY-MM) of an instant. */
  localMonth(instant: number | string): string {
    return this.localDate(instant).slice(0, 7);
  }

  /** The instant (epoch ms) at which local date `date` begins. */
  startOf(date: string): number {
    const local = Date.parse(`${date}T00:00:00Z`);
    // The offset at local midnight, found in two steps: exact unless midnight itself falls
    // in a gap (a clock set forward at 00:00), when the date begins at the transition,
    // which is on a quarter hour.
    let ms = local - this.offsetAt(local);
    ms = local - this.offsetAt(ms);
    if (this.localDate(ms) !== date) {
      ms = Math.ceil(ms / QUARTER_MS) * QUARTER_MS;
      for (let i = 0; i < 200 && this.localDate(ms) < date; i++) ms += QUARTER_MS;
    }
    return ms;
  }
}

const D0 = 48;
/** where the digits of YYYY-MM-DDTHH:MM:SS.sssZ are */
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * Epoch ms of an ISO 8601 UTC instant. The canonical form (2026-01-31T08:00:00.000Z, what
 * validation gives) by its digits, as Date.UTC: Date.parse costs several times more, and an
 * import of applications reads two instants per record. Anything else: Date.parse.
 */
export function instantMs(iso: string): number {
  if (iso.length !== 24 || iso.charCodeAt(23) !== 90 /* Z */ || iso.charCodeAt(10) !== 84 /* T */) return Date.parse(iso);
  for (const i of DIGITS) {
    const c = iso.charCodeAt(i) - D0;
    if (c < 0 || c > 9) return Date.parse(iso);
  }
  const n = (i: number) => iso.charCodeAt(i) - D0;
  // Days since 1970 from the civil date, in integer arithmetic (H. Hinnant's
  // days_from_civil): Date.UTC goes through the runtime and cost most of the saving.
  let y = n(0) * 1000 + n(1) * 100 + n(2) * 10 + n(3);
  const m = n(5) * 10 + n(6);
  const d = n(8) * 10 + n(9);
  if (m < 1 || m > 12 || d < 1 || d > 31 || n(11) * 10 + n(12) > 23 || n(14) > 5 || n(17) > 5) return Date.parse(iso);
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return days * DAY_MS + ((n(11) * 10 + n(12)) * 60 + n(14) * 10 + n(15)) * 60_000 + (n(17) * 10 + n(18)) * 1000 + n(20) * 100 + n(21) * 10 + n(22);
}

/** YYYY-MM-DD of epoch ms in UTC. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** date + n days (YYYY-MM-DD). */
export function addDays(date: string, n: number): string {
  return isoDate(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS);
}

/** b − a in whole days (dates YYYY-MM-DD). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** Today's local date in the zone. */
export function todayIn(zone: TimeZone, now: number = Date.now()): string {
  return zone.localDate(now);
}
