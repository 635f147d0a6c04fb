// A JS string holds UTF-16; one with a lone surrogate has no UTF-8 form (and JCS refuses it).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}
