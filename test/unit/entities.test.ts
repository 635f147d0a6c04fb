import { afterEach, describe, expect, test } from 'vitest';
import {
  ENTITIES, ENTITY_NAMES, RECORD_RULES, defineEntity, entityOfTable, forgetEntity, parentsFirst, references, uniqueFields,
  type EntityDef, type EntityName,
} from '../../src/records/fields.js';
import { backedUp, toolTables } from '../../src/registry/reset.js';
import { parseFilters } from '../../src/export/filters.js';
import { entityHooks } from '../../src/import/entity-hooks.js';

// The entity registry (records/fields.ts): what each reader derives from a definition.

const GADGETS = 'gadgets' as EntityName;
const gadgets = (over: Partial<EntityDef> = {}): EntityDef => ({
  name: GADGETS, table: 'test_gadgets', noun: 'gadget', key: 'code', logged: false, modes: ['upsert'],
  fields: [
    { name: 'code', type: 'identifier', required: true, unique: true, description: 'code' },
    { name: 'service_code', type: 'identifier', required: false, references: 'services', description: 'a service' },
    { name: 'status', type: 'enum', required: true, values: ['on', 'off'], description: 'status' },
  ],
  rules: { statusField: 'status', activeStatus: 'on' },
  filters: ['--status'],
  ...over,
});

afterEach(() => forgetEntity(GADGETS));

describe('the built-in entities', () => {
  test('references, unique fields and hierarchy come from the field table', () => {
    expect(references('agencies')).toEqual([{ field: 'parent_code', entity: 'agencies', key: 'code', checkedOnRead: false }]);
    expect(references('services')).toEqual([{ field: 'agency_code', entity: 'agencies', key: 'code', checkedOnRead: true }]);
    expect(references('applications').map((r) => [r.field, r.entity, r.checkedOnRead])).toEqual([['service_code', 'services', true], ['handled_by', 'agencies', true]]);
    expect(uniqueFields('agencies').map((f) => f.name)).toEqual(['tin']);
    expect(uniqueFields('services')).toEqual([]);
    expect(ENTITIES.agencies.hierarchy).toBe('parent_code');
  });

  test('parents first for backups and counts, children first for drops', () => {
    expect(parentsFirst().map((d) => d.name)).toEqual(['agencies', 'services', 'applications']);
    expect(backedUp()).toEqual(['agencies', 'services', 'applications']);
    expect(toolTables().slice(0, 3)).toEqual(['applications', 'services', 'agencies']);
    expect(entityOfTable('applications')?.monthlyPartitions).toBe('submitted_at');
    expect(entityOfTable('audit_log')).toBeUndefined();
  });
});

describe('defineEntity', () => {
  test('a defined entity is in every lookup, after the entities it names, and out again when forgotten', () => {
    defineEntity(gadgets());
    expect(ENTITY_NAMES).toContain(GADGETS);
    expect(RECORD_RULES[GADGETS].activeStatus).toBe('on');
    expect(parentsFirst().map((d) => d.name)).toEqual(['agencies', 'services', 'applications', GADGETS]);
    expect(toolTables()[0]).toBe('test_gadgets');
    expect(parseFilters(GADGETS, { status: 'on' }).status).toEqual(['on']);
    expect(() => parseFilters(GADGETS, { agency: 'MIN' })).toThrow('--agency does not apply to gadgets: the filters of gadgets are --status');
    forgetEntity(GADGETS);
    expect(ENTITY_NAMES).not.toContain(GADGETS);
    expect(ENTITIES[GADGETS]).toBeUndefined();
  });

  test('a definition that cannot work is refused', () => {
    expect(() => defineEntity(gadgets({ name: 'agencies' }))).toThrow('entity agencies is defined twice');
    expect(() => defineEntity(gadgets({ key: 'id' }))).toThrow('its key id must be a unique field');
    expect(() => defineEntity(gadgets({ hierarchy: 'service_code' }))).toThrow('its hierarchy service_code must name the entity itself');
    const f = gadgets().fields;
    expect(() => defineEntity(gadgets({ fields: [...f, { name: 'x', type: 'identifier', required: false, references: 'nothing' as EntityName, description: 'x' }] }))).toThrow('x names nothing, not defined before it');
    expect(ENTITY_NAMES).not.toContain(GADGETS);
  });
});

// A reference marked checkedOnRead is left out of import's set-based checks: the entity's
// import hooks must check it as the file is read, or it would go unchecked.
describe('import hooks agree with the definitions', () => {
  test('every built-in entity whose references are checked on read has a refs hook', () => {
    for (const e of ENTITY_NAMES) expect(() => entityHooks(e), e).not.toThrow();
    expect(entityHooks('services').refs).toBeTypeOf('function');
    expect(entityHooks('applications').refs).toBeTypeOf('function');
    expect(entityHooks('agencies').refs).toBeUndefined();
  });

  test('a new entity without hooks takes the generic path; one claiming an on-read check without a hook is refused', () => {
    defineEntity(gadgets());
    expect(entityHooks(GADGETS)).toEqual({});
    forgetEntity(GADGETS);
    defineEntity(gadgets({ checkedOnRead: ['service_code'] }));
    expect(() => entityHooks(GADGETS)).toThrow(/service_code is checked as the file is read.*no refs hook/);
  });
});
