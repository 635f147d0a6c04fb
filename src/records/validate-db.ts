import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { agencyLookupFromMap, type AgencyLookup } from './agency-lookup.js';
import { CrossChecker } from './cross-checks.js';
import { fromRow } from './db-row.js';
import { ENTITIES, RECORD_RULES, type EntityName } from './fields.js';
import { issue, type Issue } from './issues.js';
import { ReportBuilder, type ValidationReport } from './report.js';
import { checkRecord } from './validate.js';

// `validate db`: the rules of SPEC §3 over what the database holds, plus unused-agency.
// Rows are read a page at a time in code order (keyset pagination), checked with the same
// checkRecord as files, and only keys are kept for the cross-record rules.

const PAGE = 5000;

export interface DbValidationReport extends ValidationReport {
  /** per entity counts; the issues carry `entity` too */
  entities: Record<EntityName, { records: number; errors: number; warnings: number }>;
}

export interface ValidateDbOptions {
  entities?: EntityName[];
  maxIssues?: number;
  strict?: boolean;
  today?: string;
  signal?: AbortSignal;
  onProgress?: (records: number) => void;
}

async function* pages(knex: Knex, table: string, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
  let after: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    let q = knex(table).select('*').orderBy('code').limit(PAGE);
    if (after !== null) q = q.where('code', '>', after);
    const rows = (await q) as Array<Record<string, unknown>>;
    yield* rows;
    if (rows.length < PAGE) return;
    after = String(rows[rows.length - 1]!.code);
  }
}

/** Reads every agency's code and status: what service references resolve against. */
export async function agencyLookupFromDb(db: Db): Promise<AgencyLookup & { readonly size: number }> {
  const rows = (await db.knex('agencies').select('code', 'status')) as Array<{ code: string; status: string }>;
  return agencyLookupFromMap(new Map(rows.map((r) => [r.code, r.status])));
}

export async function validateDb(db: Db, opts: ValidateDbOptions = {}): Promise<DbValidationReport> {
  const entities = opts.entities ?? (['agencies', 'services'] as EntityName[]);
  const report = new ReportBuilder(entities.length === 1 ? entities[0]! : ('all' as EntityName), db.target.name, { maxIssues: opts.maxIssues, strict: opts.strict });
  const per = {} as DbValidationReport['entities'];
  const checkOpts = opts.today ? { today: opts.today } : undefined;
  let seen = 0;
  const lookup = await agencyLookupFromDb(db);

  for (const entity of entities) {
    const counts = { records: 0, errors: 0, warnings: 0 };
    const add = (list: Issue[]) => {
      for (const i of list) {
        (i as Issue & { entity: EntityName }).entity = entity;
        if (i.severity === 'error') counts.errors++;
        else counts.warnings++;
        report.add(i);
      }
    };
    const cross = new CrossChecker(entity);
    for await (const row of pages(db.knex, ENTITIES[entity].table, opts.signal)) {
      counts.records++;
      const values = fromRow(entity, row);
      const checked = checkRecord(entity, { line: null, fields: values }, checkOpts);
      add(checked.issues);
      cross.add(checked, values);
      if (++seen % 1000 === 0) opts.onProgress?.(seen);
    }
    add(cross.finish(lookup));
    if (entity === 'agencies') add(await unusedAgencies(db));
    report.records += counts.records;
    per[entity] = counts;
  }
  opts.onProgress?.(seen);
  return { ...report.build(), entities: per };
}

/** Active agencies that provide no service (a warning: maybe not yet registered). */
async function unusedAgencies(db: Db): Promise<Issue[]> {
  const active = RECORD_RULES.agencies.activeStatus;
  const rows = (await db.knex('agencies as a')
    .select('a.code')
    .where('a.status', active)
    .whereNotExists(db.knex('services as s').select(db.knex.raw('1')).whereRaw('s.agency_code = a.code'))
    .orderBy('a.code')) as Array<{ code: string }>;
  return rows.map((r) => issue('unused-agency', { line: null, key: r.code }, 'code', r.code, `agency ${r.code} is active but provides no service`));
}
