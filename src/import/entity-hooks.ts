import { references, type EntityName } from '../records/fields.js';
import { applicationHooks } from '../applications/import-hooks.js';
import { checkAgency, storedAgencies } from './agency-refs.js';
import type { EntityImport } from './run.js';

// What is particular to one entity's import, by entity. An entity not named here (or a
// hook left out) takes the generic path: staged, checked by the set-based checks only.

/**
 * Services: a service's agency is looked up in memory as the record is read (the stored
 * agencies: a few thousand), rather than by a query over the staged records afterwards;
 * an empty table is loaded straight (bulk.ts).
 */
const services = (): EntityImport => ({
  direct: true,
  async refs(_run, trx) {
    const agencies = await storedAgencies(trx);
    return {
      check(rec, values) {
        const found = checkAgency(agencies, rec, values);
        return found ? [found] : null;
      },
    };
  },
});

/** A fresh set of hooks per run (they may hold the run's own state). */
const HOOKS: Partial<Record<EntityName, () => EntityImport>> = {
  services,
  applications: applicationHooks,
};

export function entityHooks(entity: EntityName): EntityImport {
  const hooks = HOOKS[entity]?.() ?? {};
  // A reference its definition marks checkedOnRead is left out of the set-based checks
  // (checks.ts): without a refs hook here to check it as the file is read, it would go
  // unchecked. A definition and its hooks that disagree are a bug, not a user's error.
  const onRead = references(entity).filter((r) => r.checkedOnRead).map((r) => r.field);
  if (onRead.length && !hooks.refs) throw new Error(`${entity}: ${onRead.join(', ')} ${onRead.length === 1 ? 'is' : 'are'} checked as the file is read (checkedOnRead), but the entity has no refs hook`);
  return hooks;
}
