import { Writable } from 'node:stream';

// Standard output as the end of a pipeline, without ever ending it (the process owns it),
// with back-pressure, and with a closed reader (`egovctl export services | head`) reported
// as a ReaderClosed error the caller can treat as a quiet stop.

export class ReaderClosedError extends Error {
  readonly code = 'EPIPE';
  constructor() {
    super('the reader of standard output closed it');
  }
}

export function isReaderClosed(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return err instanceof ReaderClosedError || e?.code === 'EPIPE' || e?.code === 'ERR_STREAM_DESTROYED';
}

export function stdoutSink(out: NodeJS.WritableStream): Writable {
  let failed: Error | null = null;
  const onError = (err: Error) => {
    failed = (err as NodeJS.ErrnoException).code === 'EPIPE' ? new ReaderClosedError() : err;
    sink.destroy(failed);
  };
  // Stays attached after the export: a late EPIPE must not crash the process.
  out.on('error', onError);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (failed) return cb(failed);
      try {
        if (out.write(chunk)) cb();
        else out.once('drain', () => cb(failed));
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  return sink;
}
