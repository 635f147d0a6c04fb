import crypto from 'node:crypto';
import { isWellFormed } from './well-formed.js';

// Keys in exactly the text format of Go's golang.org/x/mod/sumdb/note (C2SP signed-note),
// so that a key made here works with any verifier of that format and back:
//   signer    PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ Ed25519 seed)>
//   verifier  <name>+<hash>+<base64(0x01 ‖ Ed25519 public key)>
// hash: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), 8 lowercase hex digits.

export const ALG_ED25519 = 0x01;

export interface VerifierKey {
  name: string;
  hash: number;
  /** the 32-byte Ed25519 public key */
  publicKey: Buffer;
  /** the key as text */
  text: string;
}

export interface SignerKey {
  name: string;
  hash: number;
  seed: Buffer;
  publicKey: Buffer;
  /** the verifier key that goes with it */
  verifier: VerifierKey;
}

export class KeyFormatError extends Error {}

// Go's unicode.IsSpace: the Latin-1 spaces (with NEL and NBSP) and the White_Space runes.
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** note.isValidName: non-empty, valid UTF-8, no space, no "+". */
export function isValidKeyName(name: string): boolean {
  return name !== '' && isWellFormed(name) && !SPACE.test(name) && !name.includes('+');
}

// Strict standard base64 with padding, as Go's base64.StdEncoding insists on.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64(s: string): Buffer | null {
  return BASE64.test(s) ? Buffer.from(s, 'base64') : null;
}

export function keyHash(name: string, algAndKey: Uint8Array): number {
  return crypto.createHash('sha256').update(`${name}\n`, 'utf8').update(algAndKey).digest().readUInt32BE(0);
}

export function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export function privateKeyObject(seed: Buffer): crypto.KeyObject {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(pub: Buffer): crypto.KeyObject {
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, pub]), format: 'der', type: 'spki' });
}

function publicOfSeed(seed: Buffer): Buffer {
  const spki = crypto.createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(spki.length - 32));
}

/** The second "+"-separated fields keep any "+" of the base64 in the last one. */
function chop(s: string, n: number): string[] | null {
  const parts: string[] = [];
  let rest = s;
  for (let i = 0; i < n - 1; i++) {
    const at = rest.indexOf('+');
    if (at < 0) return null;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

const HASH16 = /^[0-9a-fA-F]{8}$/;

export function verifierKeyText(name: string, publicKey: Buffer): string {
  const alg = Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]);
  return `${name}+${hex8(keyHash(name, alg))}+${alg.toString('base64')}`;
}

/** note.NewVerifier: parses and checks a verifier key. */
export function parseVerifierKey(text: string): VerifierKey {
  const p = chop(text, 3);
  if (!p) throw new KeyFormatError('malformed verifier key: want <name>+<hash>+<base64 key>');
  const [name, hash16, key64] = p as [string, string, string];
  const key = decodeBase64(key64);
  if (!isValidKeyName(name) || !HASH16.test(hash16) || !key || key.length === 0) throw new KeyFormatError('malformed verifier key: want <name>+<8 hex digits>+<base64 key>');
  if (key[0] !== ALG_ED25519) throw new KeyFormatError(`unknown verifier algorithm ${key[0]} (only 1, Ed25519, is known)`);
  if (key.length !== 33) throw new KeyFormatError('malformed verifier key: an Ed25519 key is 32 bytes');
  const hash = parseInt(hash16, 16);
  if (hash !== keyHash(name, key)) throw new KeyFormatError('invalid verifier key hash: it does not match the name and key');
  return { name, hash, publicKey: Buffer.from(key.subarray(1)), text };
}

/** note.NewSigner: parses a signer key and checks its hash against the derived public key. */
export function parseSignerKey(text: string): SignerKey {
  const p = chop(text, 5);
  if (!p) throw new KeyFormatError('malformed signer key: want PRIVATE+KEY+<name>+<hash>+<base64 key>');
  const [priv1, priv2, name, hash16, key64] = p as [string, string, string, string, string];
  const key = decodeBase64(key64);
  if (priv1 !== 'PRIVATE' || priv2 !== 'KEY' || !isValidKeyName(name) || !HASH16.test(hash16) || !key || key.length === 0) {
    throw new KeyFormatError('malformed signer key: want PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>');
  }
  if (key[0] !== ALG_ED25519) throw new KeyFormatError(`unknown signer algorithm ${key[0]} (only 1, Ed25519, is known)`);
  if (key.length !== 33) throw new KeyFormatError('malformed signer key: an Ed25519 seed is 32 bytes');
  const seed = Buffer.from(key.subarray(1));
  const publicKey = publicOfSeed(seed);
  const hash = parseInt(hash16, 16);
  const vtext = verifierKeyText(name, publicKey);
  if (hash !== keyHash(name, Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]))) throw new KeyFormatError('invalid signer key hash: it does not match the name and key');
  return { name, hash, seed, publicKey, verifier: { name, hash, publicKey, text: vtext } };
}

/** A new Ed25519 key pair for `name`, as note.GenerateKey makes it. */
export function generateKey(name: string): { signer: string; verifier: string } {
  if (!isValidKeyName(name)) throw new KeyFormatError(`a key name must be non-empty, without spaces or "+": ${JSON.stringify(name)}`);
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const seed = Buffer.from(pkcs8.subarray(pkcs8.length - 32));
  const publicKey = publicOfSeed(seed);
  const alg = Buffer.concat([Buffer.from([ALG_ED25519]), seed]);
  const verifier = verifierKeyText(name, publicKey);
  const hash = verifier.split('+')[1]!;
  return { signer: `PRIVATE+KEY+${name}+${hash}+${alg.toString('base64')}`, verifier };
}
