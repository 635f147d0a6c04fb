import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { removeStaleTemps, tempPathFor } from './temp-name.js';

// SPEC §7: a reader never sees a partial file, and a failed export leaves the previous file
// untouched. Data goes to a temporary file beside the target (same directory, so the
// rename cannot cross file systems), is flushed to disk, then renamed over the target.
// Every write error is an error (a full disk must not leave an empty file in place of a
// good one). A FIFO or a character device (/dev/stdout, a pipe to a compressor) is written
// to as a stream, without a temporary file: there is nothing to rename over; any other
// special file is refused.

export interface AtomicFile {
  /** the final path */
  readonly path: string;
  /** where the bytes go until commit (the target itself for a FIFO or a device) */
  readonly tmpPath: string;
  /** a FIFO or a character device: written in place, as a stream */
  readonly streaming: boolean;
  readonly stream: fs.WriteStream;
  /** the first error of opening or writing, if any (commit() throws it) */
  failure(): unknown;
  /** fsync, rename into place, fsync the directory (so the rename survives a crash) */
  commit(): Promise<void>;
  /** remove the temporary file; the target is left as it was */
  abort(): Promise<void>;
}

/** A file-system failure on the output path, said in the user's terms (exit 2: fix the path). */
export function outputError(file: string, err: unknown): UsageError {
  const e = err as NodeJS.ErrnoException;
  const why =
    e?.code === 'ENOENT' ? 'its directory does not exist'
    : e?.code === 'EACCES' || e?.code === 'EPERM' ? 'permission denied'
    : e?.code === 'EISDIR' ? 'it is a directory'
    : e?.code === 'ENOSPC' ? 'no space left on the device'
    : e?.code === 'EDQUOT' ? 'the disk quota is exceeded'
    : e?.code === 'EFBIG' ? 'the file is too large for the file system'
    : e?.code === 'EIO' ? 'an input/output error on the device'
    : e?.code === 'EROFS' ? 'the file system is read-only'
    : (e?.message ?? String(err));
  return new UsageError(`cannot write ${file}: ${why}`, { cause: err });
}


const SYNC_EVERY = 32 << 20;

/**
 * Flushes a large file while it is being written (fdatasync on the thread pool, one at a
 * time), so the final fsync before the rename waits for the last few megabytes only,
 * not for the whole file (about a second per 800 MB here).
 */
function syncAsWritten(stream: fs.WriteStream): () => void {
  let synced = 0;
  let busy = false;
  const timer = setInterval(() => {
    const fd = (stream as unknown as { fd: number | null }).fd;
    if (busy || fd === null || stream.destroyed || stream.bytesWritten - synced < SYNC_EVERY) return;
    busy = true;
    const upTo = stream.bytesWritten;
    fs.fdatasync(fd, () => {
      busy = false;
      synced = upTo;
    });
  }, 100);
  timer.unref();
  return () => clearInterval(timer);
}

async function fsyncPath(p: string, flags: string): Promise<void> {
  const fh = await fs.promises.open(p, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function kindOf(st: fs.Stats): string {
  return st.isSocket() ? 'a socket' : st.isBlockDevice() ? 'a block device' : st.isSymbolicLink() ? 'a symbolic link' : 'a special file';
}

/** Writes into a FIFO or a character device as it comes; commit = end of stream. */
function startStreaming(target: string, abs: string): AtomicFile {
  const stream = fs.createWriteStream(abs, { flags: 'w', highWaterMark: 1 << 20 });
  let failed: unknown = null;
  stream.on('error', (err) => (failed ??= err));
  let done = false;
  return {
    path: abs,
    tmpPath: abs,
    streaming: true,
    stream,
    failure: () => failed,
    async commit() {
      if (done) return;
      done = true;
      if (!stream.closed) await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        if (!stream.writableEnded) stream.end();
      });
      if (failed) throw outputError(target, failed);
    },
    async abort() {
      done = true;
      if (!stream.destroyed) stream.destroy();
    },
  };
}

export interface AtomicFileOptions {
  /**
   * The new file's permissions, whatever the file it replaces had: a backup or a reject
   * file holds records' text and is the user's alone (0600). Without it the new file keeps
   * the permissions of the one it replaces (a 0640 export stays 0640).
   */
  mode?: number;
  /** create the missing directories, with these permissions (the backups directory: 0700) */
  mkdir?: number;
  /**
   * false: always a temporary file renamed into place, whatever is at the path (a backup,
   * a reject file: a directory there is said when the rename fails). Default: a directory
   * is refused at once, a FIFO or a character device is written to as a stream, and any
   * other special file is refused.
   */
  devices?: boolean;
}

/**
 * Starts writing `target` without waiting for the temporary file to open: an error in
 * opening it, like any write error, is kept (`failure()`) and thrown by commit(). For a
 * writer that cannot wait (a constructor); openAtomicFile waits, and says the error at once.
 */
export function startAtomicFile(target: string, opts: AtomicFileOptions = {}): AtomicFile {
  const abs = path.resolve(target);
  if (opts.mkdir !== undefined) {
    try {
      fs.mkdirSync(path.dirname(abs), { recursive: true, mode: opts.mkdir });
    } catch (err) {
      throw outputError(target, err);
    }
  }
  // (devices: false looks at nothing: whatever is at the path, the rename says)
  if (opts.devices !== false) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(abs, { throwIfNoEntry: false });
      if (st?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (err) {
      throw outputError(target, err);
    }
    if (st && (st.isFIFO() || st.isCharacterDevice())) return startStreaming(target, abs);
    if (st && !st.isFile()) throw new UsageError(`cannot write ${target}: it is ${kindOf(st)}; an export goes to a regular file, a FIFO or a character device`);
  }
  removeStaleTemps(abs);
  return startTemporary(target, abs, opts);
}

function startTemporary(target: string, abs: string, opts: AtomicFileOptions): AtomicFile {
  const tmpPath = tempPathFor(abs);
  const stream = fs.createWriteStream(tmpPath, { flags: 'wx', highWaterMark: 1 << 20, ...(opts.mode !== undefined ? { mode: opts.mode } : {}) });
  // every write error is kept, so that commit() never renames a short file into place
  let failed: unknown = null;
  stream.on('error', (err) => (failed ??= err));
  const stopSyncing = syncAsWritten(stream);
  let done = false;
  const removeTmp = () => {
    stopSyncing();
    if (!stream.destroyed) stream.destroy();
    fs.rmSync(tmpPath, { force: true });
    // destroyed while still opening: the file appears only then
    if (!stream.closed) stream.once('close', () => fs.rmSync(tmpPath, { force: true }));
  };
  return {
    path: abs,
    tmpPath,
    streaming: false,
    stream,
    failure: () => failed,
    async commit() {
      if (done) return;
      done = true;
      stopSyncing();
      try {
        if (failed) throw failed;
        if (!stream.closed) await new Promise<void>((resolve, reject) => {
          stream.once('close', () => resolve());
          stream.once('error', reject);
          if (!stream.writableEnded) stream.end();
        });
        if (failed) throw failed;
        const old = opts.mode === undefined ? fs.statSync(abs, { throwIfNoEntry: false }) : undefined;
        if (old) await fs.promises.chmod(tmpPath, old.mode & 0o7777);
        await fsyncPath(tmpPath, 'r+');
        await fs.promises.rename(tmpPath, abs);
      } catch (err) {
        removeTmp();
        throw outputError(target, err);
      }
      await fsyncPath(path.dirname(abs), 'r').catch(() => {}); // not every file system allows it
    },
    async abort() {
      if (done) return;
      done = true;
      removeTmp();
    },
  };
}

export async function openAtomicFile(target: string, opts: AtomicFileOptions = {}): Promise<AtomicFile> {
  const f = startAtomicFile(target, opts);
  try {
    await new Promise<void>((resolve, reject) => {
      if (f.failure()) return reject(f.failure());
      if (!f.stream.pending) return resolve();
      f.stream.once('open', () => resolve());
      f.stream.once('error', reject);
    });
  } catch (err) {
    await f.abort();
    throw outputError(target, err);
  }
  return f;
}

/** A small text file (a manifest) written to its temporary file, waiting for commit(). */
export async function prepareFileAtomic(target: string, text: string, opts: AtomicFileOptions = {}): Promise<AtomicFile> {
  const f = await openAtomicFile(target, opts);
  try {
    await new Promise<void>((resolve, reject) => {
      f.stream.once('error', reject);
      // the callback is also told of a failed write: never take that for success
      f.stream.end(text, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    await f.abort();
    throw outputError(target, err);
  }
  return f;
}

/** A small text file written whole or not at all. */
export async function writeFileAtomic(target: string, text: string, opts: AtomicFileOptions = {}): Promise<void> {
  await (await prepareFileAtomic(target, text, opts)).commit();
}
