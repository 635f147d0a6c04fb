import fs from 'node:fs';
import { UsageError } from '../../errors.js';
import { generateKey, KeyFormatError, parseSignerKey, parseVerifierKey, type SignerKey, type VerifierKey } from './note-keys.js';

// Key files: one line, the key text. The private key file is made with mode 0600 from the
// start (never written world-readable and chmod-ed after), and an existing file is never
// replaced unless asked: overwriting a signing key loses it for good.

export interface KeygenResult {
  name: string;
  verifier_key: string;
  out: string;
}

export function writeNewKey(name: string, out: string, force: boolean): KeygenResult {
  let keys: { signer: string; verifier: string };
  try {
    keys = generateKey(name);
  } catch (err) {
    throw new UsageError(`--name: ${(err as Error).message}`);
  }
  let fd: number;
  try {
    fd = fs.openSync(out, force ? 'w' : 'wx', 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') throw new UsageError(`${out} exists: a signing key is not overwritten (--force replaces it, and the old key is lost)`);
    throw new UsageError(`cannot write ${out}: ${e.code === 'ENOENT' ? 'its directory does not exist' : e.code === 'EACCES' ? 'permission denied' : e.message}`, { cause: err });
  }
  try {
    // An existing file opened with --force keeps its old mode: set it.
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, `${keys.signer}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { name, verifier_key: keys.verifier, out };
}

/** A signer key file (as keygen writes it). */
export function readSignerKeyFile(file: string): SignerKey {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the signing key ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  try {
    return parseSignerKey(text.trim());
  } catch (err) {
    // Never echo the file's text: it is a secret.
    throw new UsageError(`${file} is not a signing key of egovctl registry keygen: ${(err as Error).message}`);
  }
}

/** A verifier key given on the command line: the key text itself, or a file holding it. */
export function readVerifierKey(arg: string): VerifierKey {
  try {
    return parseVerifierKey(arg.trim());
  } catch (err) {
    if (!(err instanceof KeyFormatError)) throw err;
    if (fs.existsSync(arg) && fs.statSync(arg).isFile()) {
      const text = fs.readFileSync(arg, 'utf8').trim();
      if (text.startsWith('PRIVATE+KEY+')) throw new UsageError(`--key ${arg} holds a private key; give the verifier key (<name>+<hash>+<base64>) that keygen printed`);
      try {
        return parseVerifierKey(text);
      } catch (e2) {
        throw new UsageError(`--key ${arg}: ${(e2 as Error).message}`);
      }
    }
    if (arg.startsWith('PRIVATE+KEY+')) throw new UsageError('--key takes the verifier key (<name>+<hash>+<base64>), never the private key');
    throw new UsageError(`--key ${JSON.stringify(arg)}: ${err.message}`);
  }
}
