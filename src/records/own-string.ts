// V8 may keep a short substring as a window on the string it was cut from; a code kept
// for the whole file would then hold its entire 256 KB input chunk alive. Copying such
// strings keeps the cross-checks at a few dozen bytes a record.

/** V8 makes sliced strings from 13 characters on; shorter ones are copies already. */
const SLICE_MIN = 13;

export function ownString(s: string): string {
  return s.length < SLICE_MIN ? s : Buffer.from(s, 'utf8').toString('utf8');
}
