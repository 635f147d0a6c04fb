import { HASH_SIZE } from './merkle-hash.js';
import { decodeBase64, type SignerKey, type VerifierKey } from './note-keys.js';
import { NoteError, openNote, signNote, type OpenedNote } from './signed-note.js';

// A C2SP tlog-checkpoint: the note text
//   <origin>\n<size>\n<base64 root>\n[<extension line>\n]…
// SPEC §9 adds one extension line, `audit <rows> <head hash>`, the head of the audit chain.

export interface AuditHead {
  rows: number;
  /** sha-256:<hex> of the last audit row, or null for an empty trail */
  head: string | null;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** extension lines, in order, without their newlines */
  extensions: string[];
  audit: AuditHead | null;
}

export class CheckpointError extends Error {}

const SIZE = /^(0|[1-9][0-9]*)$/;
const AUDIT = /^audit (0|[1-9][0-9]*) (sha-256:[0-9a-f]{64}|null)$/;

export function auditLine(a: AuditHead): string {
  return `audit ${a.rows} ${a.head ?? 'null'}`;
}

/** The note text of a checkpoint. */
export function formatCheckpoint(c: { origin: string; size: number; root: Uint8Array; audit?: AuditHead | null; extensions?: readonly string[] }): string {
  if (c.origin === '' || c.origin.includes('\n')) throw new CheckpointError('a checkpoint origin is one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new CheckpointError(`bad checkpoint size ${c.size}`);
  if (c.root.length !== HASH_SIZE) throw new CheckpointError('a checkpoint root is 32 bytes');
  const ext = [...(c.audit ? [auditLine(c.audit)] : []), ...(c.extensions ?? [])];
  for (const e of ext) if (e === '' || e.includes('\n')) throw new CheckpointError('an extension line is one non-empty line');
  return [c.origin, String(c.size), Buffer.from(c.root).toString('base64'), ...ext].map((l) => `${l}\n`).join('');
}

/** Parses checkpoint note text (without signatures). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new CheckpointError('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError('a checkpoint has at least 3 lines: origin, size, root');
  const [origin, size, root64, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') throw new CheckpointError('the checkpoint origin (line 1) is empty');
  if (!SIZE.test(size) || !Number.isSafeInteger(Number(size))) throw new CheckpointError(`the checkpoint size (line 2) is not a decimal number: ${JSON.stringify(size)}`);
  const root = decodeBase64(root64);
  if (!root || root.length !== HASH_SIZE) throw new CheckpointError('the checkpoint root (line 3) is not a base64 SHA-256 hash');
  if (extensions.some((e) => e === '')) throw new CheckpointError('a checkpoint extension line is empty');
  let audit: AuditHead | null = null;
  for (const e of extensions) {
    if (!e.startsWith('audit ')) continue;
    const m = AUDIT.exec(e);
    if (!m) throw new CheckpointError(`malformed audit line: ${JSON.stringify(e)} (want audit <rows> <sha-256:hex>)`);
    audit = { rows: Number(m[1]), head: m[2] === 'null' ? null : m[2]! };
  }
  return { origin, size: Number(size), root, extensions, audit };
}

/** A checkpoint as `registry checkpoint` prints it: signed when a key is given. */
export function checkpointNote(c: { origin: string; size: number; root: Uint8Array; audit?: AuditHead | null }, signer?: SignerKey | null): string {
  const text = formatCheckpoint(c);
  return signer ? signNote(text, [signer]) : text;
}

export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  note: OpenedNote | null;
}

/**
 * Reads a checkpoint file: a signed note (verified against `keys` when any are given), or
 * bare checkpoint text. Throws NoteError for signature problems, CheckpointError for the body.
 */
export function openCheckpoint(bytes: Buffer, keys: readonly VerifierKey[]): OpenedCheckpoint {
  const text = bytes.toString('utf8');
  const signed = text.includes('\n\n');
  if (!signed) {
    if (keys.length) throw new NoteError('unverified', 'the checkpoint is not signed');
    return { checkpoint: parseCheckpoint(text), note: null };
  }
  if (keys.length === 0) {
    // No key to check against: read the body, say the signatures went unchecked.
    return { checkpoint: parseCheckpoint(text.slice(0, text.lastIndexOf('\n\n') + 1)), note: null };
  }
  const note = openNote(bytes, keys);
  return { checkpoint: parseCheckpoint(note.text), note };
}
