// What a record source (io/) yields: one record of a file, its fields not yet checked.
// Here rather than beside the readers because the checks of records/ take it, and
// records/ does not import io/ (the readers are built on records/, not the other way round).

export interface SourceRecord {
  /** 1-based line where the record starts (the CSV header is line 1) */
  line: number;
  /** 1-based index in a JSON array */
  record?: number;
  /** the original text of the record, for reject files */
  raw: string;
  /**
   * raw values by column name, before validation: CSV cells as strings, trimmed, null when
   * empty (identifiers and tax numbers stay text); JSON values as parsed (checkRecord trims)
   */
  fields: Record<string, unknown>;
}
