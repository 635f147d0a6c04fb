import type { Knex } from 'knex';

// PostgreSQL only. Schema v1 checks the set columns (audience, channels) with regular
// expressions, which the server runs for every row written: loading 1M services spent
// 1.8 s of server time on them (channels 1.3 s, audience 0.5 s), against 0.1 s for a
// list of the allowed values. A set is stored as its items in canonical order (the order
// of the field's values, each at most once), so its allowed forms are few: 7 audiences,
// 31 channel sets. The check becomes `in (…)` of those — stricter too: a stored value in
// another order, or with an item twice, no longer passes. Rows written that way by
// another client are first rewritten in canonical order (the same set).
// SQLite keeps its GLOB checks, which cost little.

const SETS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['audience', ['G2C', 'G2B', 'G2G']],
  ['channels', ['portal', 'mobile', 'center', 'office', 'api']],
];

/** Every non-empty subset of `values`, items in the order of `values`, joined with "|". */
function canonicalSets(values: readonly string[]): string[] {
  const out: string[] = [];
  for (let bits = 1; bits < 1 << values.length; bits++) out.push(values.filter((_, k) => bits & (1 << k)).join('|'));
  return out;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return;
  for (const [col, values] of SETS) {
    const allowed = canonicalSets(values).map(literal).join(', ');
    const order = `array[${values.map(literal).join(', ')}]::text[]`;
    // Canonical order, duplicates dropped; updated_at stays (the set is the same).
    await knex.raw(`update services set ${col} = (
        select string_agg(item, '|' order by array_position(${order}, item))
        from (select distinct unnest(string_to_array(${col}, '|')) as item) items)
      where ${col} not in (${allowed})`);
    await knex.raw(`alter table services drop constraint services_${col}_check,
      add constraint services_${col}_check check (${col} in (${allowed}))`);
  }
}

export async function down(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') return;
  for (const [col, values] of SETS) {
    const alt = values.join('|');
    await knex.raw(`alter table services drop constraint services_${col}_check,
      add constraint services_${col}_check check (${col} ~ '^(${alt})(\\|(${alt}))*$')`);
  }
}
