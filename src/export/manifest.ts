import type { ExportFilters } from './filters.js';

// SPEC §7: `<out>.manifest.json` beside the export, so a consumer can check what it got.

export interface Manifest {
  entity: string;
  format: string;
  rows: number;
  bytes: number;
  sha256: string;
  exported_at: string;
  filters: ExportFilters;
  tool_version: string;
  schema_version: string | null;
  /** beyond SPEC §7: "gzip" when the bytes (and so bytes/sha256) are compressed */
  compression: 'gzip' | null;
  raw: boolean;
}

export function manifestPath(out: string): string {
  return `${out}.manifest.json`;
}

/** What a manifest is made from: an export's result (export.ts), declared here so that this module does not import export.ts, which imports it. */
export interface ManifestSource {
  entity: string;
  format: string;
  gzip: boolean;
  raw: boolean;
  rows: number;
  bytes: number;
  sha256: string;
  filters: ExportFilters;
  /** when the snapshot was taken */
  exported_at: string;
  /** the last migration applied to the database exported */
  schema_version: string | null;
}

export function buildManifest(r: ManifestSource, toolVersion: string): Manifest {
  return {
    entity: r.entity,
    format: r.format,
    rows: r.rows,
    bytes: r.bytes,
    sha256: r.sha256,
    exported_at: r.exported_at,
    filters: r.filters,
    tool_version: toolVersion,
    schema_version: r.schema_version,
    compression: r.gzip ? 'gzip' : null,
    raw: r.raw,
  };
}
