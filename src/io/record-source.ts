// The shapes every reader shares: what a record source yields and what a format reader is
// given. Kept apart from read-records.ts, which picks and opens the readers, so that the
// readers do not import the module that imports them.
import type { EntityName } from '../records/fields.js';
import type { Issue } from '../records/issues.js';
import type { SourceRecord } from '../records/source-record.js';
import { ENCODINGS, type DecodedChunk, type Encoding } from '../text/decode.js';

export type FileFormat = 'csv' | 'json' | 'ndjson' | 'xlsx';
export const FILE_FORMATS: readonly FileFormat[] = ['csv', 'json', 'ndjson', 'xlsx'];
export type { Encoding } from '../text/decode.js';
export { ENCODINGS };
export type { SourceRecord } from '../records/source-record.js';
export const DELIMITERS: ReadonlyArray<',' | ';' | '\t'> = [',', ';', '\t'];

export interface ReadOptions {
  entity: EntityName;
  /** '-' = standard input */
  path: string;
  format?: FileFormat;
  /** 'bom': by the byte-order mark, else UTF-8 (text/decode.ts: encodingFromMark) */
  encoding?: Encoding | 'bom';
  delimiter?: ',' | ';' | '\t';
  /** standard input to read for path '-' (default process.stdin); tests pass their own */
  stdin?: NodeJS.ReadableStream;
  signal?: AbortSignal;
  /**
   * CSV in UTF-8 only: records as byte strings (text/utf8-bytes.ts) — raw and fields, not the
   * issues, which are always decoded. `bytes` on the source says whether it applied.
   */
  utf8Bytes?: boolean;
  /** XLSX: the worksheet to read (default the first) */
  sheet?: string;
}

export interface RecordSource extends AsyncIterable<SourceRecord> {
  readonly format: FileFormat;
  readonly sourceName: string;
  /** records are byte strings (ReadOptions.utf8Bytes, when it applied) */
  readonly bytes: boolean;
  /** issues found outside any record: header problems, encoding errors, malformed records */
  readonly issues: Issue[];
  /** records not yielded because they were malformed or badly encoded (each has an issue) */
  readonly skipped: number;
  bytesRead(): number;
  readonly bytesTotal: number | null;
  /**
   * The same records, a decoded chunk's worth at a time (a few hundred): one await per
   * batch instead of per record, for consumers that go through millions. Use either this
   * or the record iterator, once.
   */
  batches(): AsyncIterable<SourceRecord[]>;
  /** XLSX: the cell of a field on a line ("F17"), for issues (SPEC §11) */
  cellOf?(line: number, field: string | null): string | null;
}

/** What a format reader needs: the decoded text and where to put what it finds. */
export interface FormatContext {
  entity: EntityName;
  encoding: Encoding;
  delimiter: string;
  /** the text is byte strings (text/utf8-bytes.ts) */
  bytes: boolean;
  text: AsyncIterable<DecodedChunk>;
  issues: Issue[];
  /** called for each record that is not yielded */
  skip(): void;
}

