// `validate file`: read → check each record → whole-file checks → report, streaming:
// no record is kept, only what the cross-checks need (keys, lines, references).
import type { ReadOptions } from '../io/read-records.js';
import { openRecordSource } from '../io/read-records.js';
import { combineLookups, type AgencyLookup } from '../records/agency-lookup.js';
import { CrossChecker } from '../records/cross-checks.js';
import { ReportBuilder, type ValidationReport } from '../records/report.js';
import { checkSourceRecord } from '../records/validate.js';
import { combineServiceLookups, type ServiceLookup } from '../records/service-lookup.js';
import { loadAgencyLookup, loadServiceLookup } from './lookup-files.js';

export interface ValidateFileOptions extends ReadOptions {
  /** an agencies file that references resolve against (--agencies) */
  agenciesFile?: ReadOptions;
  /** another source of agencies (the database); a file given wins */
  agencyLookup?: AgencyLookup;
  /** a services file that applications' service_code resolves against (--services) */
  servicesFile?: ReadOptions;
  /** another source of services (the database); a file given wins */
  serviceLookup?: ServiceLookup;
  /** ISO 8601: the time of the validation, for submitted_at (default: when it starts) */
  now?: string;
  maxIssues?: number;
  strict?: boolean;
  /** YYYY-MM-DD, for expired-but-active; default today in UTC */
  today?: string;
  /** called about every thousand records and at the end */
  onProgress?: (records: number, bytes: number) => void;
}

const PROGRESS_EVERY = 1000;

export async function validateFile(opts: ValidateFileOptions): Promise<ValidationReport> {
  // The agencies file first: a bad one should fail before minutes of reading the other.
  const fromFile = opts.agenciesFile ? await loadAgencyLookup({ ...opts.agenciesFile, signal: opts.agenciesFile.signal ?? opts.signal }) : undefined;
  const lookup = fromFile || opts.agencyLookup ? combineLookups(fromFile, opts.agencyLookup) : undefined;
  const servicesFromFile = opts.servicesFile ? await loadServiceLookup({ ...opts.servicesFile, signal: opts.servicesFile.signal ?? opts.signal }) : undefined;
  const services = servicesFromFile || opts.serviceLookup ? combineServiceLookups(servicesFromFile, opts.serviceLookup) : undefined;

  // A UTF-8 CSV file is read as byte strings (text/utf8-bytes.ts): the same report, without
  // decoding records that check out as bytes.
  const source = await openRecordSource({ ...opts, utf8Bytes: opts.utf8Bytes ?? true });
  const report = new ReportBuilder(opts.entity, source.sourceName, { maxIssues: opts.maxIssues, strict: opts.strict, cellOf: source.cellOf });
  const cross = new CrossChecker(opts.entity);
  const checkOpts = { ...(opts.today ? { today: opts.today } : {}), now: opts.now ?? new Date().toISOString() };
  let records = 0;
  let reported = 0;
  for await (const batch of source.batches()) {
    for (const got of batch) {
      const { checked, rec } = checkSourceRecord(opts.entity, got, source.bytes, checkOpts);
      if (checked.issues.length) report.addAll(checked.issues);
      // The cross-checks take codes, tax numbers and statuses: ASCII in a record that went as bytes.
      cross.add(checked, rec.fields);
    }
    records += batch.length;
    if (opts.onProgress && records - reported >= PROGRESS_EVERY) {
      reported = records;
      opts.onProgress(records, source.bytesRead());
    }
  }
  report.addAll(source.issues);
  cross.finishInto((i) => report.add(i), lookup, services);
  // Records the reader could not hand over (malformed, badly encoded) are records too.
  report.records = records + source.skipped;
  opts.onProgress?.(report.records, source.bytesRead());
  return report.build();
}
