// Reading agencies and services from CSV, JSON and NDJSON files or standard input, as a
// pulled stream of raw records: nothing but the record at hand is kept, so a 1 GB file
// reads in constant memory and a slow consumer slows the reading (back-pressure).
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import type { Issue } from '../records/issues.js';
import { openBytes, peek } from './byte-source.js';
import { ENCODINGS, createByteDecoder, createDecoder, encodingFromMark, type DecodedChunk, type Decoder, type Encoding } from '../text/decode.js';
import { csvRecords } from './csv-source.js';
import { formatOfName } from './format-of-name.js';

export {
  DELIMITERS, ENCODINGS, FILE_FORMATS,
  type Encoding, type FileFormat, type FormatContext, type ReadOptions, type RecordSource, type SourceRecord,
} from './record-source.js';
import { DELIMITERS, FILE_FORMATS, type FileFormat, type FormatContext, type ReadOptions, type RecordSource, type SourceRecord } from './record-source.js';

export function detectFormat(path: string, format?: string): FileFormat {
  if (format !== undefined) {
    if ((FILE_FORMATS as readonly string[]).includes(format)) return format as FileFormat;
    throw new UsageError(`unknown format ${format}: use csv, json, ndjson or xlsx`);
  }
  if (path === '-') throw new UsageError('reading standard input needs --format csv, json, ndjson or xlsx');
  const named = formatOfName(path);
  // (a .jsonld is CPSV-AP, which egovctl writes but does not read)
  if (named !== null && named !== 'cpsv-ap') return named;
  throw new UsageError(`cannot tell the format of ${basename(path)} from its name: use --format csv, json, ndjson or xlsx`);
}

async function* decoded(bytes: AsyncIterable<Buffer>, decoder: Decoder, signal?: AbortSignal): AsyncGenerator<DecodedChunk> {
  signal?.throwIfAborted();
  for await (const chunk of bytes) {
    signal?.throwIfAborted();
    yield decoder.write(chunk);
  }
  yield decoder.end();
}

async function* flatten(batches: AsyncIterable<SourceRecord[]>): AsyncGenerator<SourceRecord> {
  for await (const batch of batches) yield* batch;
}

export async function openRecordSource(opts: ReadOptions): Promise<RecordSource> {
  const format = detectFormat(opts.path, opts.format);
  // a zip, not text: encoding and delimiter do not apply (xlsx-source.ts)
  if (format === 'xlsx') return (await import('./xlsx-source.js')).openXlsxSource(opts);
  let encoding = opts.encoding ?? 'utf8';
  // The types say so, but the values come from the command line: check before reading.
  if (encoding !== 'bom' && !ENCODINGS.includes(encoding)) throw new UsageError(`unknown encoding ${encoding}: use ${ENCODINGS.join(', ')}`);
  if (opts.delimiter !== undefined && !DELIMITERS.includes(opts.delimiter)) {
    throw new UsageError(`unknown delimiter ${JSON.stringify(opts.delimiter)}: use , ; or tab`);
  }
  const bytes = await openBytes(opts.path, opts.stdin);
  let chunks = bytes.chunks;
  if (encoding === 'bom') {
    const seen = await peek(chunks, 3);
    encoding = encodingFromMark(seen.head);
    chunks = seen.chunks;
  }
  const issues: Issue[] = [];
  let skipped = 0;
  const asBytes = opts.utf8Bytes === true && format === 'csv' && encoding === 'utf8';
  const ctx: FormatContext = {
    entity: opts.entity,
    encoding,
    delimiter: opts.delimiter ?? ',',
    bytes: asBytes,
    text: decoded(chunks, asBytes ? createByteDecoder() : createDecoder(encoding), opts.signal),
    issues,
    skip: () => {
      skipped++;
    },
  };
  // the JSON readers are loaded for a JSON file, not for every CSV import (issue 18, start-up)
  const records = format === 'csv' ? csvRecords : format === 'json' ? (await import('./json-source.js')).jsonArrayRecords : (await import('./ndjson-source.js')).ndjsonRecords;
  let started = false;
  const batches = (): AsyncIterable<SourceRecord[]> => {
    // The bytes can be read once; a second pass would silently see nothing.
    if (started) throw new Error('a RecordSource can be iterated only once');
    started = true;
    return records(ctx);
  };
  return {
    format,
    sourceName: opts.path === '-' ? 'stdin' : opts.path,
    bytes: asBytes,
    issues,
    get skipped() {
      return skipped;
    },
    bytesRead: bytes.bytesRead,
    bytesTotal: bytes.bytesTotal,
    batches,
    [Symbol.asyncIterator]() {
      return flatten(batches())[Symbol.asyncIterator]();
    },
  };
}
