import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { CopyToStreamQuery } from 'pg-copy-streams';

const require = createRequire(import.meta.url);

// COPY … TO STDOUT as a stream of large buffers: the one COPY-out reader, for the export
// (export/pg-source.ts) and for the adapter's bulk.copyOut (the registry log's reads).
// pg-copy-streams' reader keeps a list of every CopyData message (one per row: a million small slices for a million records, each
// an object for the garbage collector) and joins them per socket read; this one copies the
// payloads straight into 1 MiB buffers and hands those on, so every later stage (framing,
// digest, the file's write calls) runs a few hundred times per export instead of many
// thousands. The bytes are the same. Everything but the parsing — handing the connection to
// the stream and back, errors, the row count — is pg-copy-streams' own (a subclass).

const CHUNK = 1 << 20;

const COPY_DATA = 0x64; // d
const ERROR_RESPONSE = 0x45; // E
// messages that may come between CopyData messages; any other one ends copy-out mode
const INTERSPERSED = new Set([0x48 /* CopyOutResponse */, COPY_DATA, 0x53 /* ParameterStatus */, 0x4e /* NoticeResponse */, 0x41 /* NotificationResponse */]);

interface BufferList {
  push(b: Buffer): void;
  size: number;
}

/** The fields and methods of pg-copy-streams' CopyStreamQuery this parser uses. */
interface CopyToBase extends Readable {
  rowCount: number;
  connection: { stream: Readable } | null;
  _buffer: BufferList & { take(n: number): Buffer };
  _pgDataHandler: ((b: Buffer) => void) | null;
  _detach(): void;
  _cleanup(): void;
}

type CopyToClass = new (text: string, options?: object) => CopyToBase;

let cls: CopyToClass | null = null;

function copyToClass(): CopyToClass {
  if (cls) return cls;
  const { to } = require('pg-copy-streams') as typeof import('pg-copy-streams');
  const Base = Object.getPrototypeOf(to('')).constructor as CopyToClass;

  class BufferedCopyTo extends Base {
    /** a message header (type byte, 4-byte length) split between socket reads */
    private head = Buffer.alloc(5);
    private headLen = 0;
    private code = 0;
    /** payload bytes of the current message not read yet */
    private left = 0;
    private out: Buffer = Buffer.allocUnsafeSlow(CHUNK);
    private outLen = 0;

    private emitOut(): boolean {
      if (!this.outLen) return true;
      const b = this.out.subarray(0, this.outLen);
      this.out = Buffer.allocUnsafeSlow(CHUNK);
      this.outLen = 0;
      return this.push(b);
    }

    private copyOut(chunk: Buffer, from: number, to: number): void {
      while (from < to) {
        const n = Math.min(to - from, CHUNK - this.outLen);
        chunk.copy(this.out, this.outLen, from, from + n);
        this.outLen += n;
        from += n;
        if (this.outLen === CHUNK && !this.emitOut()) this.drainedAfter = false;
      }
    }

    /** false once a push in this socket read met back-pressure */
    private drainedAfter = true;

    // The socket's 'data' events, not read(): read() joins whatever the socket has buffered
    // into one new Buffer, a copy of every byte when this stream is the slower side.
    private readonly onData = (chunk: Buffer): void => {
      if (this._parse(chunk) === false) this.connection!.stream.pause();
    };

    _attach(): void {
      const socket = this.connection!.stream;
      const handlers = socket.listeners('data') as Array<(b: Buffer) => void>;
      if (handlers.length !== 1) throw new Error('COPY: the connection has an unexpected data listener');
      this._pgDataHandler = handlers[0]!;
      socket.removeListener('data', this._pgDataHandler);
      socket.on('data', this.onData);
    }

    override _read(): void {
      const socket = this.connection?.stream;
      if (socket && socket.isPaused()) socket.resume();
    }

    override _detach(): void {
      const socket = this.connection!.stream;
      const unread = this._buffer.take(this._buffer.size);
      socket.removeListener('data', this.onData);
      socket.on('data', this._pgDataHandler!);
      this._pgDataHandler!(unread);
      // as pg-copy-streams does: resume on the next tick, after the current event
      process.nextTick(() => socket.resume());
    }

    /** Called by the base class with each socket read; returns whether to keep reading. */
    _parse(chunk: Buffer): boolean | undefined {
      this.drainedAfter = true;
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        if (this.left === 0 && this.code === 0) {
          // a message header, possibly in pieces
          if (this.headLen === 0 && chunk[i] === ERROR_RESPONSE) return this.handOver(chunk, i, null);
          if (this.headLen === 0 && n - i >= 5) {
            this.code = chunk[i]!;
            this.left = chunk.readUInt32BE(i + 1) - 4;
            i += 5;
          } else {
            const take = Math.min(5 - this.headLen, n - i);
            chunk.copy(this.head, this.headLen, i, i + take);
            this.headLen += take;
            i += take;
            if (this.headLen < 5) break;
            if (this.head[0] === ERROR_RESPONSE) {
              this.headLen = 0;
              return this.handOver(chunk, i, Buffer.from(this.head));
            }
            this.code = this.head[0]!;
            this.left = this.head.readUInt32BE(1) - 4;
            this.headLen = 0;
          }
        }
        const take = Math.min(this.left, n - i);
        if (this.code === COPY_DATA && take > 0) this.copyOut(chunk, i, i + take);
        i += take;
        this.left -= take;
        if (this.left === 0) {
          const code = this.code;
          this.code = 0;
          if (!INTERSPERSED.has(code)) {
            // CopyDone (or anything that ends copy-out mode): what follows is pg's to read
            this.emitOut();
            if (i < n) this._buffer.push(chunk.subarray(i));
            this._detach();
            this.push(null);
            this._cleanup();
            return undefined;
          }
        }
      }
      return this.drainedAfter;
    }

    /** An ErrorResponse: give it, and everything after it, back to pg, which raises the error. */
    private handOver(chunk: Buffer, at: number, head: Buffer | null): undefined {
      this.emitOut();
      if (head) this._buffer.push(head);
      if (at < chunk.length) this._buffer.push(chunk.subarray(at));
      this._detach();
      return undefined;
    }
  }
  cls = BufferedCopyTo as unknown as CopyToClass;
  return cls;
}

/** A COPY … TO STDOUT query for `client.query()`, as pg-copy-streams' `to()` gives, in large Buffers. */
export function copyTo(text: string): CopyToStreamQuery {
  return new (copyToClass())(text) as unknown as CopyToStreamQuery;
}
