// The field table of SPEC.md §1 and the definition of each entity, once. The validator, the
// CSV header check, the export column order, the database schema and the help text read
// the fields; import's cross-record checks, validate db, db reset, doctor's counts and the
// export filters read the definitions (EntityDef below): change a rule here.

export type EntityName = 'agencies' | 'services' | 'applications';
/** The entities of the registry log (SPEC §9): applications are not in it. */
export type RegistryEntityName = 'agencies' | 'services';

export function isRegistryEntity(name: string): name is RegistryEntityName {
  return (REGISTRY_ENTITY_NAMES as readonly string[]).includes(name);
}

export type FieldType =
  | 'identifier' // ^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$, 2–32 characters
  | 'text'
  | 'enum'
  | 'set' // several enum values, stored without duplicates, in the order of `values`
  | 'list' // several free-text items, order kept
  | 'decimal'
  | 'integer'
  | 'date' // YYYY-MM-DD
  | 'timestamp' // ISO 8601 UTC
  | 'tin' // exactly 9 digits, kept as text
  | 'url'
  | 'email'
  | 'phone' // +998 and 9 digits
  | 'appid'; // application number: ^[A-Za-z0-9][A-Za-z0-9._/-]*$, at most 64 characters

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  /** true, false, or required only when the record's status is active */
  readonly required: boolean | 'when-active';
  readonly maxLength?: number;
  /** for list: the longest item */
  readonly itemMaxLength?: number;
  /** enum and set values, in their export order */
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** the lower bound itself is not allowed (fee_bhm_percent > 0) */
  readonly minExclusive?: boolean;
  /** the upper bound itself is not allowed (fee_uzs < 10^12) */
  readonly maxExclusive?: boolean;
  /** most decimals a decimal may have */
  readonly scale?: number;
  readonly unique?: boolean;
  /** what messages call the field when not its name (tin: tax number) */
  readonly label?: string;
  /** names a record of this entity by code */
  readonly references?: EntityName;
  /** set by the tool, ignored on import */
  readonly managed?: boolean;
  /** free text a spreadsheet could read as a formula (formula-like-value, CSV escaping) */
  readonly freeText?: boolean;
  /** warn missing-translation when empty */
  readonly translation?: boolean;
  readonly description: string;
}

export const IDENTIFIER_PATTERN = /^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$/;
export const IDENTIFIER_MIN = 2;
export const IDENTIFIER_MAX = 32;
export const TIN_PATTERN = /^[0-9]{9}$/;
export const PHONE_PATTERN = /^\+998[0-9]{9}$/;
export const DATE_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
export const APPLICATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
export const APPLICATION_ID_MAX = 64;

export const AGENCY_KINDS = ['ministry', 'committee', 'agency', 'inspection', 'center', 'khokimiyat', 'other'] as const;
export const REGIONS = [
  'UZ', 'UZ-AN', 'UZ-BU', 'UZ-FA', 'UZ-JI', 'UZ-NG', 'UZ-NW', 'UZ-QA', 'UZ-QR', 'UZ-SA',
  'UZ-SI', 'UZ-SU', 'UZ-TK', 'UZ-TO', 'UZ-XO',
] as const;
export const AGENCY_STATUSES = ['active', 'abolished'] as const;
export const AUDIENCES = ['G2C', 'G2B', 'G2G'] as const;
export const SERVICE_STATUSES = ['draft', 'active', 'suspended', 'retired'] as const;
export const CHANNELS = ['portal', 'mobile', 'center', 'office', 'api'] as const;
export const APPLICATION_STATUSES = ['received', 'in_progress', 'completed', 'rejected', 'withdrawn'] as const;
/** Application statuses that are a decision (decided_at required) and that are open (decided_at empty). */
export const DECIDED_STATUSES = ['completed', 'rejected'] as const;
export const OPEN_STATUSES = ['received', 'in_progress'] as const;

/** Characters that make a spreadsheet read a cell as a formula (SPEC §7). */
export const FORMULA_START = ['=', '+', '-', '@'] as const;
const FORMULA_CODES = FORMULA_START.map((c) => c.charCodeAt(0));

/** Does the text start like a spreadsheet formula? (A look at one character, not a regex.) */
export function startsLikeFormula(text: string): boolean {
  return FORMULA_CODES.includes(text.charCodeAt(0));
}

/** Separator of set and list items in a CSV cell. */
export const ITEM_SEPARATOR = '|';

export const AGENCY_FIELDS: readonly FieldDef[] = [
  { name: 'code', type: 'identifier', required: true, unique: true, description: 'identifier of the agency' },
  { name: 'name_uz', type: 'text', required: true, maxLength: 300, freeText: true, description: 'name in Uzbek (Latin script)' },
  { name: 'name_ru', type: 'text', required: false, maxLength: 300, freeText: true, translation: true, description: 'name in Russian' },
  { name: 'name_en', type: 'text', required: false, maxLength: 300, freeText: true, description: 'name in English' },
  { name: 'kind', type: 'enum', required: true, values: AGENCY_KINDS, description: 'kind of state body' },
  { name: 'parent_code', type: 'identifier', required: false, references: 'agencies', description: 'code of the parent agency' },
  { name: 'tin', type: 'tin', required: false, unique: true, label: 'tax number', description: 'tax number (STIR), 9 digits' },
  { name: 'region', type: 'enum', required: true, values: REGIONS, description: 'UZ or an ISO 3166-2:UZ region' },
  { name: 'website', type: 'url', required: false, description: 'http:// or https:// URL' },
  { name: 'email', type: 'email', required: false, description: 'e-mail address' },
  { name: 'phone', type: 'phone', required: false, description: '+998 and 9 digits' },
  { name: 'status', type: 'enum', required: true, values: AGENCY_STATUSES, description: 'active or abolished' },
  { name: 'updated_at', type: 'timestamp', required: false, managed: true, description: 'last change, set by the tool' },
];

export const SERVICE_FIELDS: readonly FieldDef[] = [
  { name: 'code', type: 'identifier', required: true, unique: true, description: 'identifier of the service' },
  { name: 'agency_code', type: 'identifier', required: true, references: 'agencies', description: 'the competent authority' },
  { name: 'name_uz', type: 'text', required: true, maxLength: 500, freeText: true, description: 'name in Uzbek (Latin script)' },
  { name: 'name_ru', type: 'text', required: false, maxLength: 500, freeText: true, translation: true, description: 'name in Russian' },
  { name: 'name_en', type: 'text', required: false, maxLength: 500, freeText: true, description: 'name in English' },
  { name: 'description', type: 'text', required: false, maxLength: 5000, freeText: true, description: 'description' },
  { name: 'audience', type: 'set', required: true, values: AUDIENCES, description: 'one or more of G2C, G2B, G2G' },
  { name: 'sector', type: 'text', required: false, maxLength: 100, freeText: true, description: 'thematic area' },
  { name: 'status', type: 'enum', required: true, values: SERVICE_STATUSES, description: 'draft, active, suspended or retired' },
  { name: 'fee_uzs', type: 'decimal', required: false, min: 0, max: 1e12, maxExclusive: true, scale: 2, description: 'fee in UZS; 0 means free' },
  { name: 'fee_bhm_percent', type: 'decimal', required: false, min: 0, minExclusive: true, max: 100000, scale: 3, description: 'fee as a percentage of the base calculation amount' },
  { name: 'processing_days', type: 'integer', required: true, min: 0, max: 365, description: 'processing time in days; 0 means immediately' },
  { name: 'channels', type: 'set', required: true, values: CHANNELS, description: 'one or more of portal, mobile, center, office, api' },
  { name: 'legal_basis', type: 'text', required: 'when-active', maxLength: 1000, freeText: true, description: 'the act that establishes the service' },
  { name: 'required_documents', type: 'list', required: false, itemMaxLength: 300, freeText: true, description: 'documents the applicant brings' },
  { name: 'output', type: 'text', required: false, maxLength: 300, freeText: true, description: 'what the applicant receives' },
  { name: 'effective_from', type: 'date', required: 'when-active', description: 'first day in force' },
  { name: 'effective_to', type: 'date', required: false, description: 'last day in force, not before effective_from' },
  { name: 'updated_at', type: 'timestamp', required: false, managed: true, description: 'last change, set by the tool' },
];

export const APPLICATION_FIELDS: readonly FieldDef[] = [
  { name: 'id', type: 'appid', required: true, unique: true, maxLength: APPLICATION_ID_MAX, description: 'the application number as the portal or the agency gave it' },
  { name: 'service_code', type: 'identifier', required: true, references: 'services', description: 'the service applied for' },
  { name: 'handled_by', type: 'identifier', required: false, references: 'agencies', description: "the agency that handles it; empty means the service's agency" },
  { name: 'audience', type: 'enum', required: true, values: AUDIENCES, description: 'G2C, G2B or G2G' },
  { name: 'channel', type: 'enum', required: true, values: CHANNELS, description: 'portal, mobile, center, office or api' },
  { name: 'region', type: 'enum', required: true, values: REGIONS, description: 'UZ or an ISO 3166-2:UZ region' },
  { name: 'submitted_at', type: 'timestamp', required: true, description: 'when it was submitted, not after the import' },
  { name: 'due_on', type: 'date', required: false, description: 'the deadline; when empty, set on import (README, "Deadlines")' },
  { name: 'status', type: 'enum', required: true, values: APPLICATION_STATUSES, description: 'received, in_progress, completed, rejected or withdrawn' },
  { name: 'decided_at', type: 'timestamp', required: false, description: 'when it was decided: required when completed or rejected, empty while open' },
  { name: 'updated_at', type: 'timestamp', required: false, managed: true, description: 'last change, set by the tool' },
];

/**
 * The rules of SPEC §3 that tie several fields of one record together, kept beside the
 * field table so that no rule spells a field name or a status of its own.
 */
export interface RecordRules {
  /** the enum field holding the record's status */
  readonly statusField: string;
  /** the status under which `required: 'when-active'` fields are required */
  readonly activeStatus: string;
  /** an agency status under which its active services draw inactive-authority */
  readonly inactiveStatus?: string;
  /** at most one of these may be set (fee-conflict) */
  readonly exclusive?: readonly string[];
  /** an active record should set one of these (missing-fee) */
  readonly expectOneOf?: readonly string[];
  /** [from, to]: to not before from (date-order); to past while active (expired-but-active) */
  readonly period?: readonly [string, string];
  /**
   * A decision of an application (SPEC §1): `field` is required under the `decided`
   * statuses (missing-value), empty under the `open` ones (date-order) and not before
   * `after` (date-order).
   */
  readonly decision?: { readonly field: string; readonly after: string; readonly decided: readonly string[]; readonly open: readonly string[] };
  /** timestamps that may not be after the time of the import or validation (out-of-range) */
  readonly notFuture?: readonly string[];
}

/** A field that names a record of another entity (or of its own), by that entity's key. */
export interface Reference {
  readonly field: string;
  readonly entity: EntityName;
  /** the key of `entity` the value is (its code) */
  readonly key: string;
  /**
   * import looks it up in memory as each record is read, against the stored records
   * (import/agency-refs.ts, applications/refs.ts), so the staged checks leave it out
   */
  readonly checkedOnRead: boolean;
}

/** What an entity's `--agency` filter matches (SPEC §4). */
export interface AgencyFilter {
  /** the field holding the agency's code */
  readonly field: string;
  /** when `field` is empty: the agency of the record this reference names (applications: the service's) */
  readonly otherwise?: { readonly via: string; readonly field: string };
}

export interface EntityDef {
  readonly name: EntityName;
  /** the database table */
  readonly table: string;
  /** singular, for messages */
  readonly noun: string;
  readonly fields: readonly FieldDef[];
  /** the natural key: code, or id for applications */
  readonly key: 'code' | 'id';
  /** in the registry log (SPEC §9) */
  readonly logged: boolean;
  /** import modes the entity takes (applications: no replace) */
  readonly modes: readonly ('upsert' | 'insert' | 'replace')[];
  /** the rules that tie fields of one record together */
  readonly rules: RecordRules;
  /** the self-reference whose chains may not loop (hierarchy-cycle): agencies' parent_code */
  readonly hierarchy?: string;
  /** reference fields import checks as each record is read rather than over the staged records */
  readonly checkedOnRead?: readonly string[];
  /**
   * references the database does not hold to (no foreign key): an application keeps naming
   * the service and agency it was made with, so a replace may delete them
   */
  readonly weakReferences?: readonly string[];
  /** warn unused-agency for an active record that no record of this entity names (agencies: services) */
  readonly unusedWarning?: EntityName;
  /** the filters of `export` and `registry list` it takes, as flags (SPEC §4) */
  readonly filters: readonly string[];
  /** what --agency matches */
  readonly agencyFilter?: AgencyFilter;
  /** the timestamp --from/--to bound, as local dates */
  readonly periodFilter?: string;
  /**
   * PostgreSQL: the table is partitioned by the month of this timestamp; the partitions
   * are made by import and go with the table when it is dropped
   */
  readonly monthlyPartitions?: string;
}

const BUILT_IN_RULES: Readonly<Record<EntityName, RecordRules>> = {
  agencies: { statusField: 'status', activeStatus: 'active', inactiveStatus: 'abolished' },
  services: {
    statusField: 'status',
    activeStatus: 'active',
    exclusive: ['fee_uzs', 'fee_bhm_percent'],
    expectOneOf: ['fee_uzs', 'fee_bhm_percent'],
    period: ['effective_from', 'effective_to'],
  },
  // Applications have no "active" status: no when-active fields, no expired-but-active.
  applications: {
    statusField: 'status',
    activeStatus: '',
    decision: { field: 'decided_at', after: 'submitted_at', decided: DECIDED_STATUSES, open: OPEN_STATUSES },
    notFuture: ['submitted_at'],
  },
};

const BUILT_IN: readonly EntityDef[] = [
  {
    name: 'agencies', table: 'agencies', noun: 'agency', fields: AGENCY_FIELDS, key: 'code', logged: true, modes: ['upsert', 'insert', 'replace'],
    rules: BUILT_IN_RULES.agencies, hierarchy: 'parent_code', unusedWarning: 'services',
    filters: ['--status', '--agency', '--changed-since'], agencyFilter: { field: 'code' },
  },
  {
    name: 'services', table: 'services', noun: 'service', fields: SERVICE_FIELDS, key: 'code', logged: true, modes: ['upsert', 'insert', 'replace'],
    rules: BUILT_IN_RULES.services, checkedOnRead: ['agency_code'],
    filters: ['--status', '--agency', '--audience', '--changed-since'], agencyFilter: { field: 'agency_code' },
  },
  {
    name: 'applications', table: 'applications', noun: 'application', fields: APPLICATION_FIELDS, key: 'id', logged: false, modes: ['upsert', 'insert'],
    rules: BUILT_IN_RULES.applications, checkedOnRead: ['service_code', 'handled_by'], weakReferences: ['service_code', 'handled_by'],
    filters: ['--status', '--agency', '--audience', '--changed-since', '--from', '--to'],
    agencyFilter: { field: 'handled_by', otherwise: { via: 'service_code', field: 'agency_code' } },
    periodFilter: 'submitted_at', monthlyPartitions: 'submitted_at',
  },
];

// The registry: the built-in entities, and those a test defines (defineEntity). Lookups by
// name (ENTITIES, RECORD_RULES, ENTITY_NAMES) are filled from it, so every reader sees both.
const entities: Record<string, EntityDef> = {};
const names: EntityName[] = [];
const rules: Record<string, RecordRules> = {};

export const ENTITIES: Readonly<Record<EntityName, EntityDef>> = entities as Record<EntityName, EntityDef>;
export const ENTITY_NAMES: readonly EntityName[] = names;
export const RECORD_RULES: Readonly<Record<EntityName, RecordRules>> = rules as Record<EntityName, RecordRules>;

/**
 * Adds an entity to the registry. The built-in three are defined this way; a test may add
 * one of its own (cast its name to EntityName) to show that the generic paths take it.
 */
export function defineEntity(def: EntityDef): EntityDef {
  if (entities[def.name]) throw new Error(`entity ${def.name} is defined twice`);
  const keyField = def.fields.find((f) => f.name === def.key);
  if (!keyField?.unique) throw new Error(`entity ${def.name}: its key ${def.key} must be a unique field`);
  for (const f of def.fields) {
    if (f.references && !entities[f.references] && f.references !== def.name) throw new Error(`entity ${def.name}: ${f.name} names ${f.references}, not defined before it`);
  }
  if (def.hierarchy && def.fields.find((f) => f.name === def.hierarchy)?.references !== def.name) {
    throw new Error(`entity ${def.name}: its hierarchy ${def.hierarchy} must name the entity itself`);
  }
  entities[def.name] = def;
  names.push(def.name);
  rules[def.name] = def.rules;
  return def;
}

/** Takes a test's entity out of the registry again. */
export function forgetEntity(name: string): void {
  if (BUILT_IN.some((d) => d.name === name) || !entities[name]) return;
  delete entities[name];
  delete rules[name];
  names.splice(names.indexOf(name as EntityName), 1);
}

for (const def of BUILT_IN) defineEntity(def);

/** The built-in entities that are `logged`, in the registry log (SPEC §9). */
export const REGISTRY_ENTITY_NAMES: readonly RegistryEntityName[] = BUILT_IN.filter((d) => d.logged).map((d) => d.name as RegistryEntityName);

/** The fields of an entity that name another record, with the key they name it by. */
export function references(e: EntityName): Reference[] {
  const def = ENTITIES[e];
  return def.fields.filter((f) => f.references).map((f) => ({
    field: f.name,
    entity: f.references!,
    key: ENTITIES[f.references!]?.key ?? def.key,
    checkedOnRead: def.checkedOnRead?.includes(f.name) ?? false,
  }));
}

/** Unique fields other than the key (agencies' tin). */
export function uniqueFields(e: EntityName): FieldDef[] {
  const def = ENTITIES[e];
  return def.fields.filter((f) => f.unique && f.name !== def.key);
}

/**
 * Every entity, parents before children: an entity comes after each entity it references
 * (backup, restore and counts go in this order; drops and deletes in the reverse).
 */
export function parentsFirst(): EntityDef[] {
  const out: EntityDef[] = [];
  const visit = (name: EntityName) => {
    const def = ENTITIES[name];
    if (out.includes(def)) return;
    for (const r of def.fields) if (r.references && r.references !== name) visit(r.references);
    out.push(def);
  };
  for (const name of ENTITY_NAMES) visit(name);
  return out;
}

export function entity(name: string): EntityDef {
  const def = (ENTITIES as Record<string, EntityDef | undefined>)[name];
  if (!def) throw new Error(`unknown entity ${name}`);
  return def;
}

/** The entity whose table this is, if any. */
export function entityOfTable(table: string): EntityDef | undefined {
  return ENTITY_NAMES.map((n) => ENTITIES[n]).find((d) => d.table === table);
}

export function isEntityName(name: string): name is EntityName {
  return (ENTITY_NAMES as readonly string[]).includes(name);
}

export function fieldNames(e: EntityName): string[] {
  return ENTITIES[e].fields.map((f) => f.name);
}

export function field(e: EntityName, name: string): FieldDef | undefined {
  return ENTITIES[e].fields.find((f) => f.name === name);
}

/** Fields whose value a file may supply (every field but the managed ones). */
export function inputFields(e: EntityName): readonly FieldDef[] {
  return ENTITIES[e].fields.filter((f) => !f.managed);
}

/**
 * The values of one record in their canonical, typed form — what validation produces,
 * what import writes and what export reads back. Absent values are null.
 * identifier/text/enum/tin/url/email/phone/date/timestamp: string;
 * decimal: string in its shortest exact decimal form ("0", "1500", "13811.5");
 * integer: number; set/list: string[] (sets in the order of `values`).
 */
export type FieldValue = string | number | string[] | null;
export type RecordValues = Record<string, FieldValue>;

