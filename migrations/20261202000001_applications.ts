import type { Knex } from 'knex';

// Applications (SPEC §1, §10): one row per application to a public service, no personal
// data. The large table: on PostgreSQL it is partitioned by month of submitted_at (the
// partitions are made by imports as they need them, src/applications/partitions.ts); on
// SQLite it is one table. The database keeps what both dialects can express.
//
// There is no foreign key to services or agencies: an application is a fact of the past
// and stays when its service is purged from the registry (validate db reports such
// applications as unknown-reference), and ten million foreign-key checks would double the
// import. The tool checks references on import. PostgreSQL cannot enforce a unique key on a
// partitioned table that does not hold the partition key, so the primary key is
// (id, submitted_at) there and import checks that an id is unique (duplicate-key, and
// matches stored applications by id alone).

const AUDIENCES = ['G2C', 'G2B', 'G2G'];
const CHANNELS = ['portal', 'mobile', 'center', 'office', 'api'];
const REGIONS = ['UZ', 'UZ-AN', 'UZ-BU', 'UZ-FA', 'UZ-JI', 'UZ-NG', 'UZ-NW', 'UZ-QA', 'UZ-QR', 'UZ-SA', 'UZ-SI', 'UZ-SU', 'UZ-TK', 'UZ-TO', 'UZ-XO'];
const STATUSES = ['received', 'in_progress', 'completed', 'rejected', 'withdrawn'];

const inList = (col: string, values: string[]) => `${col} in (${values.map((v) => `'${v}'`).join(', ')})`;

function checks(pg: boolean): string[] {
  const identifier = (col: string) => pg
    ? `${col} ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$' and length(${col}) between 2 and 32`
    : `${col} GLOB '[A-Z]*' and ${col} NOT GLOB '*[^A-Z0-9-]*' and ${col} NOT GLOB '*--*' and ${col} NOT GLOB '*-' and length(${col}) between 2 and 32`;
  return [
    pg ? `id ~ '^[A-Za-z0-9][A-Za-z0-9._/-]*$' and length(id) <= 64`
      : `id GLOB '[A-Za-z0-9]*' and id NOT GLOB '*[^A-Za-z0-9._/-]*' and length(id) <= 64`,
    identifier('service_code'),
    `handled_by is null or (${identifier('handled_by')})`,
    inList('audience', AUDIENCES),
    inList('channel', CHANNELS),
    inList('region', REGIONS),
    inList('status', STATUSES),
    `(status in ('completed', 'rejected')) = (decided_at is not null) or status = 'withdrawn'`,
    `decided_at is null or decided_at >= submitted_at`,
  ];
}

export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  if (pg) {
    await knex.raw(`create table applications (
      id varchar(64) not null,
      service_code varchar(32) not null,
      handled_by varchar(32),
      audience varchar(3) not null,
      channel varchar(6) not null,
      region varchar(5) not null,
      submitted_at timestamptz(3) not null,
      due_on date not null,
      status varchar(11) not null,
      decided_at timestamptz(3),
      updated_at timestamptz(3) not null,
      primary key (id, submitted_at),
      ${checks(true).map((c) => `check (${c})`).join(',\n      ')}
    ) partition by range (submitted_at)`);
    return;
  }
  await knex.schema.createTable('applications', (t) => {
    t.string('id', 64).primary();
    t.string('service_code', 32).notNullable();
    t.string('handled_by', 32);
    t.string('audience', 3).notNullable();
    t.string('channel', 6).notNullable();
    t.string('region', 5).notNullable();
    t.text('submitted_at').notNullable();
    t.text('due_on').notNullable();
    t.string('status', 11).notNullable();
    t.text('decided_at');
    t.text('updated_at').notNullable();
    t.index(['submitted_at']);
    for (const c of checks(false)) t.check(c);
  });
}

export async function down(knex: Knex): Promise<void> {
  // On PostgreSQL this drops every monthly partition with the table.
  await knex.schema.dropTableIfExists('applications');
}
