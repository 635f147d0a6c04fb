import crypto from 'node:crypto';
import { isWellFormed } from './well-formed.js';
import { decodeBase64, hex8, isValidKeyName, privateKeyObject, publicKeyObject, type SignerKey, type VerifierKey } from './note-keys.js';

// C2SP signed-note, byte for byte as golang.org/x/mod/sumdb/note Sign and Open:
//   <text, ending in "\n">
//   <blank line>
//   — <name> <base64(key hash, 4 bytes big-endian ‖ Ed25519 signature)>\n   (one per signer)
// The signature covers the text only (through its final newline).

const SIG_PREFIX = '\u2014 ';
const MAX_SIGNATURES = 100;

export class NoteError extends Error {
  constructor(
    readonly kind: 'malformed' | 'unverified' | 'invalid-signature' | 'ambiguous-key',
    message: string,
  ) {
    super(message);
  }
}

export interface NoteSignature {
  name: string;
  hash: number;
  base64: string;
}

export interface OpenedNote {
  text: string;
  /** signatures by a known key that verified */
  sigs: NoteSignature[];
  /** signatures by keys not given */
  unverified: NoteSignature[];
}

/** note.Sign: the text, a blank line, one signature line per signer. */
export function signNote(text: string, signers: readonly SignerKey[]): string {
  if (!text.endsWith('\n')) throw new NoteError('malformed', 'malformed note: the text must end with a newline');
  checkText(text);
  let out = `${text}\n`;
  const msg = Buffer.from(text, 'utf8');
  for (const s of signers) {
    if (!isValidKeyName(s.name)) throw new NoteError('malformed', 'invalid signer');
    const sig = crypto.sign(null, msg, privateKeyObject(s.seed));
    const h = Buffer.alloc(4);
    h.writeUInt32BE(s.hash >>> 0);
    out += `${SIG_PREFIX}${s.name} ${Buffer.concat([h, sig]).toString('base64')}\n`;
  }
  return out;
}

function ed25519Verify(msg: Buffer, pub: Buffer, sig: Buffer): boolean {
  if (sig.length !== 64) return false;
  try {
    return crypto.verify(null, msg, publicKeyObject(pub), sig);
  } catch {
    return false;
  }
}

/** Valid UTF-8 (a JS string from UTF-8 bytes has no lone surrogates) and no control character but "\n". */
function checkText(s: string): void {
  // eslint-disable-next-line no-control-regex
  if (!isWellFormed(s) || /[\u0000-\u0009\u000b-\u001f\ufffd]/.test(s)) throw new NoteError('malformed', 'malformed note: control characters or invalid UTF-8');
}

function verifierFor(keys: readonly VerifierKey[], name: string, hash: number): VerifierKey | null {
  const found = keys.filter((k) => k.name === name && k.hash === hash);
  if (found.length > 1) throw new NoteError('ambiguous-key', `ambiguous key ${name}+${hex8(hash)}`);
  return found[0] ?? null;
}

/**
 * note.Open: parses a signed note and checks its signatures against the known keys.
 * Throws NoteError: malformed; invalid-signature (a known key whose signature fails);
 * unverified (no signature by a known key).
 */
export function openNote(bytes: Buffer | string, keys: readonly VerifierKey[]): OpenedNote {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const msg = buf.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD; a genuine U+FFFD in the bytes is refused too (Go's
  // RuneError check cannot tell them apart either, except by size: we are stricter).
  if (!Buffer.from(msg, 'utf8').equals(buf)) throw new NoteError('malformed', 'malformed note: invalid UTF-8');
  checkText(msg);
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'malformed note: no blank line before the signatures');
  const text = msg.slice(0, split + 1);
  let sigs = msg.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith('\n')) throw new NoteError('malformed', 'malformed note: no signature lines');
  const textBytes = Buffer.from(text, 'utf8');
  const out: OpenedNote = { text, sigs: [], unverified: [] };
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  let count = 0;
  while (sigs.length > 0) {
    const nl = sigs.indexOf('\n');
    let line = sigs.slice(0, nl);
    sigs = sigs.slice(nl + 1);
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed', `malformed note: a signature line does not start with "${SIG_PREFIX}"`);
    line = line.slice(SIG_PREFIX.length);
    const sp = line.indexOf(' ');
    const name = sp < 0 ? line : line.slice(0, sp);
    const b64 = sp < 0 ? '' : line.slice(sp + 1);
    const raw = decodeBase64(b64);
    if (!raw || !isValidKeyName(name) || b64 === '' || raw.length < 5) throw new NoteError('malformed', 'malformed note: a bad signature line');
    if (++count > MAX_SIGNATURES) throw new NoteError('malformed', 'malformed note: too many signatures');
    const hash = raw.readUInt32BE(0);
    const sig: NoteSignature = { name, hash, base64: b64 };
    const key = verifierFor(keys, name, hash);
    if (!key) {
      if (!seenUnverified.has(line)) out.unverified.push(sig);
      seenUnverified.add(line);
      continue;
    }
    const id = `${name}+${hash}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!ed25519Verify(textBytes, key.publicKey, raw.subarray(4))) {
      throw new NoteError('invalid-signature', `invalid signature for key ${name}+${hex8(hash)}`);
    }
    out.sigs.push(sig);
  }
  if (out.sigs.length === 0) {
    const by = out.unverified.map((s) => `${s.name}+${hex8(s.hash)}`).join(', ');
    throw new NoteError('unverified', `note has no verifiable signatures (signed by ${by}; not by a --key given)`);
  }
  return out;
}
