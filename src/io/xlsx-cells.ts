// The small, pure rules of SPEC §11 for spreadsheet cells: addresses, numbers as their
// shortest exact decimal text, date serials, which number formats are dates, and the
// `_xHHHH_` escapes of OOXML strings. Shared by the XLSX reader and writer.

/** 1 → A, 26 → Z, 27 → AA */
export function columnName(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** "F17" → 6 (the column); 0 when the reference holds no letters. */
export function columnOf(ref: string): number {
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return n;
}

/**
 * The shortest decimal text that reads back as the same double — what JavaScript's
 * String() gives — but never in exponent form (a spreadsheet stores 1e21 as "1E+21").
 * Null when the text is no finite number.
 */
export function numberText(v: string): string | null {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) return null;
  if (n === 0) return '0'; // also -0
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/i.exec(s)!;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  const point = 1 + exp; // position of the decimal point within digits
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const MS_PER_DAY = 86_400_000;
// Serial 25569 is 1970-01-01 in the 1900 system (which counts a 29 February 1900 that
// never was: serials below 61 are off by one, and nobody keeps registry dates in 1900).
const EPOCH_1900 = 25569;
const EPOCH_1904 = 24107;

/** A date serial as a UTC instant, rounded to the millisecond; null when out of range. */
export function serialToDate(serial: number, date1904: boolean): Date | null {
  if (!Number.isFinite(serial) || serial < 0 || serial > 2_958_465) return null; // 9999-12-31
  const ms = Math.round((serial - (date1904 ? EPOCH_1904 : EPOCH_1900)) * MS_PER_DAY);
  return new Date(ms);
}

/** A UTC date as the serial a spreadsheet stores (1900 system). */
export function dateToSerial(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`) / MS_PER_DAY + EPOCH_1900;
}

// The built-in number formats that show dates or times (ECMA-376 Part 1, 18.8.30), and
// those East Asian locales add (27–36, 50–58), as spreadsheet programs read them.
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/**
 * Does this number format show a date or time? For a custom format: a d, m, y, h or s
 * outside quoted text, escapes and [brackets] (colours, locales; [h] elapsed hours count).
 */
export function isDateFormat(id: number, code: string | undefined): boolean {
  if (code === undefined) return BUILTIN_DATE_FORMATS.has(id);
  const section = code.split(';')[0]!;
  const bare = section
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/_./g, '')
    .replace(/\*./g, '')
    .replace(/\[(h+|m+|s+)\]/gi, 'h')
    .replace(/\[[^\]]*\]/g, '');
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

/** OOXML strings escape characters XML cannot hold as `_xHHHH_` (`_x000D_` is a CR). */
export function decodeXString(s: string): string {
  if (!s.includes('_x')) return s;
  return s.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The writer's side: a literal `_xHHHH_` in a value is kept by escaping its `_`. */
export function encodeXString(s: string): string {
  // eslint-disable-next-line no-control-regex
  let out = s.includes('_x') ? s.replace(/_(x[0-9A-Fa-f]{4}_)/g, '_x005F_$1') : s;
  // XML 1.0 cannot hold these controls even as character references
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/.test(out)) {
    // eslint-disable-next-line no-control-regex
    out = out.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`);
  }
  return out;
}

/** Text for an XML text node or attribute value. */
export function xmlEscape(s: string): string {
  return /[&<>"\r]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;') : s;
}
