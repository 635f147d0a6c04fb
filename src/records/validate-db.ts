import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { agencyLookupFromMap, type AgencyLookup } from './agency-lookup.js';
import { CrossChecker } from './cross-checks.js';
import { fromRow } from './db-row.js';
import { AUDIENCES, CHANNELS, ENTITIES, ITEM_SEPARATOR, parentsFirst, references, type EntityName, type RecordValues } from './fields.js';
import { keysetRows } from '../db/entity-rows.js';
import { issue, type Issue } from './issues.js';
import { ReportBuilder, type ValidationReport } from './report.js';
import { checkRecord, type CheckedRecord } from './validate.js';

// `validate db`: the rules of SPEC §3 over what the database holds, plus unused-agency.
// Rows are read a page at a time in key order (keyset pagination), checked with the same
// checkRecord as files, and only keys are kept for the cross-record rules. Applications
// keep nothing per row: their references are looked up in the services and agencies as
// they are read (a few thousand services, held as bit masks), and a duplicate id, which
// only PostgreSQL's (id, submitted_at) key lets in, is found by the database.

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

function pages(knex: Knex, entity: EntityName, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
  return keysetRows(knex, entity, (qb) => {
    signal?.throwIfAborted();
    return qb;
  }, PAGE);
}

/** Reads every agency's code and status: what service references resolve against. */
export async function agencyLookupFromDb(db: Db): Promise<AgencyLookup & { readonly size: number }> {
  const rows = (await db.knex('agencies').select('code', 'status')) as Array<{ code: string; status: string }>;
  return agencyLookupFromMap(new Map(rows.map((r) => [r.code, r.status])));
}

/**
 * How the records of one entity are checked beyond checkRecord: by default a CrossChecker
 * over its keys (the entity's definition says which rules apply); applications by a pass
 * of their own that keeps nothing per row.
 */
interface EntityPass {
  add(checked: CheckedRecord, values: RecordValues): Issue[];
  finish(): Promise<Issue[]>;
}

const OWN_PASS: Partial<Record<EntityName, (db: Db, lookup: AgencyLookup) => Promise<EntityPass>>> = {
  async applications(db, lookup) {
    const refs = await applicationRefs(db, lookup);
    return { add: (checked, values) => refs.check(values, checked.issues), finish: () => duplicateIds(db) };
  },
};

async function entityPass(db: Db, entity: EntityName, lookup: AgencyLookup): Promise<EntityPass> {
  const own = OWN_PASS[entity];
  if (own) return own(db, lookup);
  const cross = new CrossChecker(entity);
  return {
    add(checked, values) {
      cross.add(checked, values);
      return [];
    },
    async finish() {
      const issues = cross.finish(lookup);
      for (const i of await unusedRecords(db, entity)) issues.push(i);
      return issues;
    },
  };
}

/** Every entity whose table exists (applications once their migration is applied), parents first. */
async function presentEntities(db: Db): Promise<EntityName[]> {
  const out: EntityName[] = [];
  for (const d of parentsFirst()) if (await db.knex.schema.hasTable(d.table)) out.push(d.name);
  return out;
}

export async function validateDb(db: Db, opts: ValidateDbOptions = {}): Promise<DbValidationReport> {
  const entities = opts.entities ?? (await presentEntities(db));
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
    const pass = await entityPass(db, entity, lookup);
    for await (const row of pages(db.knex, entity, opts.signal)) {
      counts.records++;
      const values = fromRow(entity, row);
      const checked = checkRecord(entity, { line: null, fields: values }, checkOpts);
      add(checked.issues);
      add(pass.add(checked, values));
      if (++seen % 1000 === 0) opts.onProgress?.(seen);
    }
    add(await pass.finish());
    report.records += counts.records;
    per[entity] = counts;
  }
  opts.onProgress?.(seen);
  return { ...report.build(), entities: per };
}

/**
 * Active agencies that provide no service (a warning: maybe not yet registered): the
 * active records of an entity whose definition names `unusedWarning` that no record of
 * that entity names.
 */
async function unusedRecords(db: Db, entity: EntityName): Promise<Issue[]> {
  const def = ENTITIES[entity];
  if (!def.unusedWarning) return [];
  const by = ENTITIES[def.unusedWarning];
  const ref = references(by.name).find((r) => r.entity === entity)!;
  const rows = (await db.knex(`${def.table} as a`)
    .select(`a.${def.key}`)
    .where(`a.${def.rules.statusField}`, def.rules.activeStatus)
    .whereNotExists(db.knex(`${by.table} as s`).select(db.knex.raw('1')).whereRaw('s.?? = a.??', [ref.field, def.key]))
    .orderBy(`a.${def.key}`)) as Array<Record<string, string>>;
  return rows.map((r) => {
    const code = r[def.key]!;
    return issue('unused-agency', { line: null, key: code }, def.key, code, `${def.noun} ${code} is active but provides no ${by.noun}`);
  });
}

const bit = (values: readonly string[], v: string) => 1 << values.indexOf(v);
const mask = (values: readonly string[], stored: unknown) => String(stored ?? '').split(ITEM_SEPARATOR).reduce((m, v) => (values.includes(v) ? m | bit(values, v) : m), 0);

/**
 * The reference rules of an application (SPEC §1, §3): service_code names a service,
 * handled_by an agency; audience and channel are among the service's (warnings).
 */
async function applicationRefs(db: Db, agencies: AgencyLookup): Promise<{ check(v: RecordValues, own: Issue[]): Issue[] }> {
  // code → audience mask | channels mask << 3
  const services = new Map<string, number>();
  const rows = (await db.knex(ENTITIES.services.table).select('code', 'audience', 'channels')) as Array<{ code: string; audience: string | null; channels: string | null }>;
  for (const r of rows) services.set(r.code, mask(AUDIENCES, r.audience) | (mask(CHANNELS, r.channels) << AUDIENCES.length));
  return {
    check(v, own) {
      const out: Issue[] = [];
      const at = { line: null, key: v.id as string };
      // a malformed value already has its error; "does not exist" would only repeat it
      const bad = (f: string) => own.some((i) => i.field === f && i.severity === 'error');
      const code = v.service_code as string | null;
      if (code !== null && !bad('service_code')) {
        const s = services.get(code);
        if (s === undefined) out.push(issue('unknown-reference', at, 'service_code', code, `service ${code} does not exist`));
        else {
          const audience = v.audience as string | null;
          if (audience && AUDIENCES.includes(audience as never) && !(s & bit(AUDIENCES, audience))) {
            out.push(issue('audience-mismatch', at, 'audience', audience, `audience ${audience} is not in the audience of service ${code}`));
          }
          const channel = v.channel as string | null;
          if (channel && CHANNELS.includes(channel as never) && !((s >> AUDIENCES.length) & bit(CHANNELS, channel))) {
            out.push(issue('channel-mismatch', at, 'channel', channel, `channel ${channel} is not among the channels of service ${code}`));
          }
        }
      }
      const by = v.handled_by as string | null;
      if (by !== null && !bad('handled_by') && agencies.status(by) === undefined) {
        out.push(issue('unknown-reference', at, 'handled_by', by, `agency ${by} does not exist`));
      }
      return out;
    },
  };
}

/** Ids held by more than one row (PostgreSQL's key is (id, submitted_at)): every row, in id order. */
async function duplicateIds(db: Db): Promise<Issue[]> {
  const table = ENTITIES.applications.table;
  const rows = (await db.knex(table)
    .select('id')
    .count({ n: '*' })
    .groupBy('id')
    .havingRaw('count(*) > 1')
    .orderBy('id')) as Array<{ id: string; n: number | string }>;
  const out: Issue[] = [];
  for (const r of rows) {
    const n = Number(r.n);
    for (let i = 0; i < n; i++) out.push(issue('duplicate-key', { line: null, key: r.id }, 'id', r.id, `id ${r.id} appears ${n} times`));
  }
  return out;
}
