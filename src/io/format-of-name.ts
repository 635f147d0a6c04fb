// The file format a name implies, for the files read (import, validate) and written
// (export): one table, so `egovctl import` reads back what `egovctl export --out` names.
// `.gz` after the extension says only that the bytes are compressed.

/** A format a file name can imply; `cpsv-ap` (`.jsonld`) is written only, never read. */
export type NamedFormat = 'csv' | 'json' | 'ndjson' | 'xlsx' | 'cpsv-ap';

const EXTENSIONS: ReadonlyArray<[string, NamedFormat]> = [
  ['.csv', 'csv'],
  ['.json', 'json'],
  ['.ndjson', 'ndjson'],
  ['.jsonl', 'ndjson'],
  // JSON-LD: the one JSON-LD document egovctl writes is CPSV-AP
  ['.jsonld', 'cpsv-ap'],
  ['.xlsx', 'xlsx'],
];

/** The format of a file name by its extension (any case, optionally `.gz`); null when it tells none. */
export function formatOfName(file: string): NamedFormat | null {
  const base = file.replace(/\.gz$/i, '').toLowerCase();
  for (const [ext, f] of EXTENSIONS) if (base.endsWith(ext)) return f;
  return null;
}
