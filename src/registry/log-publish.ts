import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import type { Db } from '../db/connect.js';
import { UsageError } from '../errors.js';
import { openAtomicFile, prepareFileAtomic } from '../io/atomic-file.js';
import { writeLog, storedLines } from './log-file.js';
import { latestHead } from './log-store.js';
import { checkpointNote, type AuditHead } from './log/checkpoint.js';
import { CompactRange } from './log/compact-range.js';
import { EMPTY_ROOT, leafHash } from './log/merkle-hash.js';
import type { SignerKey } from './log/note-keys.js';

// What an agency publishes from its log (SPEC §9): the checkpoint of the current head
// (signed with --sign-key) and the log file itself.

/** The target's logOrigin, else egovctl/<database> (the SQLite file's name without extension). */
export function logOrigin(db: Db): string {
  if (db.target.logOrigin) return db.target.logOrigin;
  const name = db.adapter.connection.databaseName(db.target);
  return `egovctl/${name}`;
}

export interface CheckpointResult {
  origin: string;
  size: number;
  root: string;
  signed: boolean;
  note: string;
}

/**
 * The current head as a checkpoint note. `audit` is the audit chain's head line (SPEC §9),
 * given by the caller once the chained audit trail is wired in; none until then.
 */
export async function currentCheckpoint(db: Db, opts: { signer?: SignerKey | null; audit?: AuditHead | null } = {}): Promise<CheckpointResult> {
  const head = await latestHead(db.knex);
  const size = head?.size ?? 0;
  const root = head ? Buffer.from(head.root, 'base64') : EMPTY_ROOT;
  const origin = logOrigin(db);
  const note = checkpointNote({ origin, size, root, audit: opts.audit ?? null }, opts.signer ?? null);
  return { origin, size, root: root.toString('base64'), signed: !!opts.signer, note };
}

export interface LogExportResult {
  out: string | null;
  from: number;
  to: number;
  entries: number;
  bytes: number;
  sha256: string;
  /** the tree size and root at the last entry written (`to`) */
  size: number;
  root: string;
  manifest: string | null;
  exported_at: string;
}

/** The root of the first n entries, from the stored entries (a pass over n leaves). */
async function rootAt(db: Db, n: number): Promise<string> {
  const range = CompactRange.empty();
  for await (const l of storedLines(db.knex, 1, n)) range.append(leafHash(l.entry));
  return range.root().toString('base64');
}

export async function exportLog(db: Db, opts: { from?: number; to?: number; out?: string | null; manifest?: boolean; toolVersion?: string }, stdout: NodeJS.WritableStream): Promise<LogExportResult> {
  const head = await latestHead(db.knex);
  const last = head?.size ?? 0;
  const from = opts.from ?? 1;
  const to = Math.min(opts.to ?? last, last);
  if (from < 1) throw new UsageError('--from: entries are numbered from 1');
  if (opts.to !== undefined && opts.from !== undefined && opts.to < opts.from) throw new UsageError(`--to ${opts.to} is before --from ${opts.from}`);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  const exported_at = new Date().toISOString();
  const tee = (dest: NodeJS.WritableStream) => new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      if (dest.write(chunk)) cb();
      else dest.once('drain', () => cb());
    },
  });
  const result = (entries: number, root: string, out: string | null, manifest: string | null): LogExportResult => ({
    out, from, to, entries, bytes, sha256: hash.digest('hex'), size: to, root, manifest, exported_at,
  });
  if (!opts.out) {
    const r = await writeLog(db.knex, tee(stdout), from, to);
    return result(r.entries, from === 1 ? r.root : await rootAt(db, to), null, null);
  }
  const f = await openAtomicFile(opts.out);
  try {
    const w = tee(f.stream);
    const r = await writeLog(db.knex, w, from, to);
    const root = from === 1 ? r.root : await rootAt(db, to);
    const res = result(r.entries, root, f.path, opts.manifest ? `${f.path}.manifest.json` : null);
    if (res.manifest) {
      const doc = { kind: 'registry-log', from, to, entries: res.entries, size: res.size, root: res.root, bytes: res.bytes, sha256: res.sha256, exported_at, tool_version: opts.toolVersion ?? 'unknown' };
      const m = await prepareFileAtomic(res.manifest, `${JSON.stringify(doc, null, 2)}\n`);
      await f.commit().catch(async (err) => {
        await m.abort();
        throw err;
      });
      await m.commit();
    } else await f.commit();
    return res;
  } catch (err) {
    await f.abort();
    throw err;
  }
}
