import { afterEach, expect, test } from 'vitest';
import { ENTITY_NAMES, defineEntity, forgetEntity, type EntityDef, type EntityName } from '../../src/records/fields.js';
import { entityHooks } from '../../src/import/entity-hooks.js';

// A reference marked checkedOnRead is left out of import's set-based checks: the entity's
// import hooks must check it as the file is read, or it would go unchecked.

const GIZMOS = 'gizmos' as EntityName;
const gizmos = (checkedOnRead?: string[]): EntityDef => ({
  name: GIZMOS, table: 'test_gizmos', noun: 'gizmo', key: 'code', logged: false, modes: ['upsert'],
  fields: [
    { name: 'code', type: 'identifier', required: true, unique: true, description: 'code' },
    { name: 'agency_code', type: 'identifier', required: false, references: 'agencies', description: 'an agency' },
    { name: 'status', type: 'enum', required: true, values: ['on', 'off'], description: 'status' },
  ],
  rules: { statusField: 'status', activeStatus: 'on' },
  filters: [],
  ...(checkedOnRead ? { checkedOnRead } : {}),
});

afterEach(() => forgetEntity(GIZMOS));

test('every built-in entity whose references are checked on read has a refs hook', () => {
  for (const e of ENTITY_NAMES) expect(() => entityHooks(e), e).not.toThrow();
  expect(entityHooks('services').refs).toBeTypeOf('function');
  expect(entityHooks('applications').refs).toBeTypeOf('function');
  expect(entityHooks('agencies').refs).toBeUndefined();
});

test('a new entity without hooks takes the generic path; one claiming an on-read check without a hook is refused', () => {
  defineEntity(gizmos());
  expect(entityHooks(GIZMOS)).toEqual({});
  forgetEntity(GIZMOS);
  defineEntity(gizmos(['agency_code']));
  expect(() => entityHooks(GIZMOS)).toThrow(/agency_code is checked as the file is read.*no refs hook/);
});
