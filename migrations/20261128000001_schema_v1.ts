import type { Knex } from 'knex';

// Schema v1: agencies, services (SPEC §1) and the audit trail (SPEC §7). The database
// enforces what both dialects can express, so a record written by anything but egovctl
// still keeps the rules. Sets are stored as their items joined with "|" in canonical
// order; lists as a JSON array (their items may hold "|"); decimals exactly — numeric on
// PostgreSQL, canonical text on SQLite, whose decimal affinity would turn them into floats.

const KINDS = ['ministry', 'committee', 'agency', 'inspection', 'center', 'khokimiyat', 'other'];
const REGIONS = ['UZ', 'UZ-AN', 'UZ-BU', 'UZ-FA', 'UZ-JI', 'UZ-NG', 'UZ-NW', 'UZ-QA', 'UZ-QR', 'UZ-SA', 'UZ-SI', 'UZ-SU', 'UZ-TK', 'UZ-TO', 'UZ-XO'];
const SERVICE_STATUSES = ['draft', 'active', 'suspended', 'retired'];

function isPg(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
}

const inList = (col: string, values: string[]) => `${col} in (${values.map((v) => `'${v}'`).join(', ')})`;

function identifierCheck(knex: Knex, col: string): string {
  if (isPg(knex)) return `${col} ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$' and length(${col}) between 2 and 32`;
  // GLOB is case-sensitive; together these say exactly what the pattern says.
  return `${col} GLOB '[A-Z]*' and ${col} NOT GLOB '*[^A-Z0-9-]*' and ${col} NOT GLOB '*--*' and ${col} NOT GLOB '*-' and length(${col}) between 2 and 32`;
}

function setCheck(knex: Knex, col: string, values: string[]): string {
  if (isPg(knex)) return `${col} ~ '^(${values.join('|')})(\\|(${values.join('|')}))*$'`;
  return `${col} <> '' and ${col} NOT GLOB '*||*' and ${col} NOT GLOB '|*' and ${col} NOT GLOB '*|'`;
}

export async function up(knex: Knex): Promise<void> {
  const pg = isPg(knex);
  const ts = (t: Knex.CreateTableBuilder, name: string) =>
    pg ? t.timestamp(name, { useTz: true, precision: 3 }) : t.text(name);
  const date = (t: Knex.CreateTableBuilder, name: string) => (pg ? t.date(name) : t.text(name));
  const digits9 = (col: string) => (pg ? `${col} ~ '^[0-9]{9}$'` : `length(${col}) = 9 and ${col} NOT GLOB '*[^0-9]*'`);
  const phone = (col: string) => (pg ? `${col} ~ '^\\+998[0-9]{9}$'` : `length(${col}) = 13 and ${col} GLOB '+998*' and substr(${col}, 2) NOT GLOB '*[^0-9]*'`);

  await knex.schema.createTable('agencies', (t) => {
    t.string('code', 32).primary();
    t.string('name_uz', 300).notNullable();
    t.string('name_ru', 300);
    t.string('name_en', 300);
    t.string('kind', 20).notNullable();
    t.string('parent_code', 32);
    t.string('tin', 9).unique();
    t.string('region', 5).notNullable();
    t.text('website');
    t.text('email');
    t.string('phone', 13);
    t.string('status', 10).notNullable();
    ts(t, 'updated_at').notNullable();
    // Deferred, so that one import may list children before their parents.
    t.foreign('parent_code').references('code').inTable('agencies').deferrable('deferred');
    t.index(['parent_code']);
    t.check(identifierCheck(knex, 'code'));
    t.check(`parent_code is null or (${identifierCheck(knex, 'parent_code')})`);
    t.check(`parent_code is null or parent_code <> code`);
    t.check(`length(name_uz) between 1 and 300`);
    t.check(inList('kind', KINDS));
    t.check(inList('region', REGIONS));
    t.check(inList('status', ['active', 'abolished']));
    t.check(`tin is null or (${digits9('tin')})`);
    t.check(`phone is null or (${phone('phone')})`);
    t.check(`website is null or website like 'http://%' or website like 'https://%'`);
  });

  await knex.schema.createTable('services', (t) => {
    t.string('code', 32).primary();
    t.string('agency_code', 32).notNullable();
    t.string('name_uz', 500).notNullable();
    t.string('name_ru', 500);
    t.string('name_en', 500);
    t.string('description', 5000);
    t.string('audience', 20).notNullable();
    t.string('sector', 100);
    t.string('status', 10).notNullable();
    if (pg) {
      t.decimal('fee_uzs', 14, 2);
      t.decimal('fee_bhm_percent', 9, 3);
    } else {
      t.text('fee_uzs');
      t.text('fee_bhm_percent');
    }
    t.integer('processing_days').notNullable();
    t.string('channels', 40).notNullable();
    t.string('legal_basis', 1000);
    t.text('required_documents');
    t.string('output', 300);
    date(t, 'effective_from');
    date(t, 'effective_to');
    ts(t, 'updated_at').notNullable();
    t.foreign('agency_code').references('code').inTable('agencies');
    t.index(['agency_code']);
    t.index(['status']);
    t.index(['updated_at']);
    t.check(identifierCheck(knex, 'code'));
    t.check(`length(name_uz) between 1 and 500`);
    t.check(inList('status', SERVICE_STATUSES));
    t.check(setCheck(knex, 'audience', ['G2C', 'G2B', 'G2G']));
    t.check(setCheck(knex, 'channels', ['portal', 'mobile', 'center', 'office', 'api']));
    t.check(`processing_days between 0 and 365`);
    t.check(`fee_uzs is null or fee_bhm_percent is null`);
    if (pg) {
      t.check(`fee_uzs is null or fee_uzs >= 0`);
      t.check(`fee_bhm_percent is null or (fee_bhm_percent > 0 and fee_bhm_percent <= 100000)`);
    }
    t.check(`effective_to is null or effective_from is null or effective_to >= effective_from`);
    t.check(`status <> 'active' or (legal_basis is not null and effective_from is not null)`);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id').primary();
    ts(t, 'started_at').notNullable();
    ts(t, 'finished_at').notNullable();
    t.string('command', 100).notNullable();
    t.text('args').notNullable(); // JSON array, secrets redacted
    t.string('actor', 200).notNullable();
    t.string('host', 255).notNullable();
    t.text('target').notNullable();
    t.string('outcome', 12).notNullable();
    t.integer('exit_code');
    t.text('counts').notNullable(); // JSON object
    t.text('message');
    t.index(['started_at']);
    t.check(inList('outcome', ['ok', 'failed', 'refused', 'interrupted']));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_log');
  await knex.schema.dropTableIfExists('services');
  await knex.schema.dropTableIfExists('agencies');
}
