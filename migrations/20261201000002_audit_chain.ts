import crypto from 'node:crypto';
import type { Knex } from 'knex';

// SPEC §9: the audit trail becomes a hash chain. Each row gets `prev` (the hash of the
// row before it in id order, null for the first) and `hash` (sha-256 of the row's RFC 8785
// object: the README's "Audit trail"). The rows already stored are chained here, in id
// order. A migration is a frozen, self-contained file (the migrator checksums it, and
// runs it from wherever its directory is), so the hash is written out again below rather
// than imported from src/audit/audit-row.ts; the tests check that rows it chained verify
// with the tool's verifier and re-hash with the `canonicalize` package.
//
// Writing prev and hash into existing rows is an UPDATE, which the append-only triggers of
// 20261128000002 refuse. They are lifted for this migration only and inside its
// transaction (the migrator runs each batch in one): on PostgreSQL DISABLE/ENABLE TRIGGER
// is transactional and ALTER TABLE holds an ACCESS EXCLUSIVE lock on audit_log until the
// commit, so no other session can write, update or delete a row — or see the table
// without its trigger — in between; on SQLite (which has no switch) the trigger is dropped
// and created again from its own stored SQL, in the same write transaction, which no other
// connection can interleave with. A failure anywhere rolls all of it back, triggers included.
//
// A unique index on prev makes a fork — two rows following the same row, which the
// serialised append never writes — impossible for any client.

const PAGE = 1000;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// RFC 8785 for the values an audit row holds: ECMAScript serialisation, members sorted by
// UTF-16 code units, no white space.
function jcs(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k]!)}`).join(',')}}`;
}

const ILL_FORMED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/g;
const wellFormed = (s: string) => s.replace(ILL_FORMED, '\uFFFD');
function wellFormedJson(v: unknown): Json {
  if (typeof v === 'string') return wellFormed(v);
  if (Array.isArray(v)) return v.map(wellFormedJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [wellFormed(k), wellFormedJson(x)]));
  return v as Json;
}
function jsonColumn(v: unknown, empty: Json): Json {
  if (v === null || v === undefined) return empty;
  try {
    return wellFormedJson(JSON.parse(String(v)));
  } catch {
    return wellFormed(String(v));
  }
}
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
const textOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** The row as `audit list --json` shows it, without hash; its hash. */
function rowHash(r: Record<string, unknown>, prev: string | null): string {
  const shown: { [k: string]: Json } = {
    id: Number(r.id),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    command: String(r.command),
    args: jsonColumn(r.args, []),
    actor: String(r.actor),
    host: String(r.host),
    target: String(r.target),
    outcome: String(r.outcome),
    counts: jsonColumn(r.counts, {}),
    exit_code: r.exit_code === null || r.exit_code === undefined ? 0 : Number(r.exit_code),
    message: textOrNull(r.message),
    prev,
  };
  return `sha-256:${crypto.createHash('sha256').update(jcs(shown), 'utf8').digest('hex')}`;
}

export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  await knex.schema.alterTable('audit_log', (t) => {
    t.text('prev');
    t.text('hash');
  });
  let sqliteUpdateTriggers: Array<{ name: string; sql: string }> = [];
  if (pg) await knex.raw('alter table audit_log disable trigger audit_log_append_only');
  else {
    sqliteUpdateTriggers = (await knex('sqlite_master').select('name', 'sql').where({ type: 'trigger', tbl_name: 'audit_log' }).andWhere('sql', 'like', '%before update%')) as Array<{ name: string; sql: string }>;
    for (const t of sqliteUpdateTriggers) await knex.raw(`drop trigger "${t.name.replace(/"/g, '""')}"`);
  }
  let prev: string | null = null;
  let after: number | null = null;
  for (;;) {
    let q = knex('audit_log').select('*').orderBy('id', 'asc').limit(PAGE);
    if (after !== null) q = q.where('id', '>', after);
    const page = (await q) as Array<Record<string, unknown>>;
    for (const r of page) {
      const hash = rowHash(r, prev);
      await knex('audit_log').where({ id: r.id }).update({ prev, hash });
      prev = hash;
    }
    if (page.length < PAGE) break;
    after = Number(page[page.length - 1]!.id);
  }
  if (pg) await knex.raw('alter table audit_log enable trigger audit_log_append_only');
  else for (const t of sqliteUpdateTriggers) await knex.raw(t.sql);
  await knex.raw('create unique index audit_log_prev_unique on audit_log (prev)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists audit_log_prev_unique');
  // Plain ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35 has it natively). knex's
  // dropColumn on SQLite would rebuild the table by copy, drop and rename, which silently
  // loses the append-only triggers; the native statement keeps them.
  await knex.raw('alter table audit_log drop column hash');
  await knex.raw('alter table audit_log drop column prev');
}
