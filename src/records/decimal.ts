// Exact decimals as text. Fees are money: a float round trip would turn 0.1 + 0.2 into
// 0.30000000000000004 and let a 13-digit fee drift, so parsing, range checks and the
// canonical form (SPEC §2: "0", "1500", "13811.5") all work on the digits themselves.

export interface Decimal {
  negative: boolean;
  /** integer digits without leading zeros ("0" for none) */
  int: string;
  /** fraction digits without trailing zeros ("" for none) */
  frac: string;
}

const TEXT = /^([+-]?)([0-9]+)(?:\.([0-9]+))?$/;
const NUMBER_TEXT = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:e([+-]?[0-9]+))?$/;

function make(sign: string, int: string, frac: string): Decimal {
  // Most values have nothing to strip: skip the regular expressions for them.
  const i = int.length > 1 && int.charCodeAt(0) === 0x30 ? int.replace(/^0+(?=[0-9])/, '') : int;
  const f = frac.length && frac.charCodeAt(frac.length - 1) === 0x30 ? frac.replace(/0+$/, '') : frac;
  return { negative: sign === '-' && !(i === '0' && f === ''), int: i, frac: f };
}

/** "1500.00", "-3", "007.5"; not "1,5", "1e3" or ".5". */
export function parseDecimal(text: string): Decimal | null {
  const m = TEXT.exec(text);
  return m ? make(m[1]!, m[2]!, m[3] ?? '') : null;
}

/** A JSON number: its shortest round-trip text, which is what the file said for any sane value. */
export function decimalFromNumber(n: number): Decimal | null {
  if (!Number.isFinite(n)) return null;
  const m = NUMBER_TEXT.exec(String(n));
  if (!m) return null;
  let int = m[2]!;
  let frac = m[3] ?? '';
  const exp = m[4] ? Number(m[4]) : 0;
  // Move the point for exponent forms (1e21, 1e-7).
  if (exp > 0) {
    frac = frac.padEnd(exp, '0');
    int += frac.slice(0, exp);
    frac = frac.slice(exp);
  } else if (exp < 0) {
    int = int.padStart(-exp + 1, '0');
    frac = int.slice(int.length + exp) + frac;
    int = int.slice(0, int.length + exp);
  }
  return make(m[1]!, int, frac);
}

export function formatDecimal(d: Decimal): string {
  return (d.negative ? '-' : '') + d.int + (d.frac ? '.' + d.frac : '');
}

function compareMagnitude(a: Decimal, b: Decimal): number {
  if (a.int.length !== b.int.length) return a.int.length < b.int.length ? -1 : 1;
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const len = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(len, '0');
  const fb = b.frac.padEnd(len, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.negative !== b.negative) return a.negative ? -1 : 1;
  const m = compareMagnitude(a, b);
  return a.negative ? -m : m;
}
