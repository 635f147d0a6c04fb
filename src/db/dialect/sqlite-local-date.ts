import { isoDate, instantMs, type TimeZone } from '../../time/zone.js';

// SQLite has no time zones: the report's local dates come from a function the tool
// registers on its connection, called twice for each application. It is TimeZone's own
// arithmetic — the same the import uses for deadlines, so both agree in any IANA zone:
// instantMs reads the stored ISO 8601 form by its digits, offsetAt caches the offset per
// UTC day. Only the date's text is cached here (a few hundred distinct local days).

const DAY = 86_400_000;

export function localDateFunction(zone: TimeZone): (ts: unknown) => string | null {
  const names = new Map<number, string>();
  return (ts: unknown): string | null => {
    if (ts === null || ts === undefined) return null;
    const s = String(ts);
    const ms = instantMs(s);
    if (Number.isNaN(ms)) throw new Error(`a stored timestamp is malformed: ${JSON.stringify(s.slice(0, 40))}`);
    const local = Math.floor((ms + zone.offsetAt(ms)) / DAY);
    let name = names.get(local);
    if (name === undefined) {
      name = isoDate(local * DAY);
      if (names.size > 200_000) names.clear();
      names.set(local, name);
    }
    return name;
  };
}
