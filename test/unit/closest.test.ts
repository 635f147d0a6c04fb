import { expect, test } from 'vitest';
import { closest } from '../../src/text/closest.js';
import { ENTITIES } from '../../src/records/fields.js';

const services = ENTITIES.services.fields.map((f) => f.name);

test('a prefix or a shared word beats edit distance: agency → agency_code, not audience', () => {
  expect(closest('agency', services)).toBe('agency_code');
  expect(closest('Agency', services)).toBe('agency_code');
  expect(closest('service_code', services)).toBe('code');
  expect(closest('processing', services)).toBe('processing_days');
});

test('typos still go by edit distance; an exact name in another case is itself', () => {
  expect(closest('nmae_uz', services)).toBe('name_uz');
  expect(closest('audeince', services)).toBe('audience');
  expect(closest('STATUS', services)).toBe('status');
});
