import type { Db } from '../db/connect.js';
import { DataError } from '../errors.js';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { ENTRIES_TABLE, ITEMS_TABLE } from './log-store.js';
import type { Json } from './log/canonical-json.js';

// `registry history <code>` (SPEC §9): every entry of one key, oldest first, each with the
// fields whose value differs from the version before (the first version: every field it
// has; a delete: none — there is no version after it to compare).

export interface Change {
  field: string;
  from: Json | null;
  to: Json | null;
}

export interface Version {
  number: number;
  timestamp: string;
  actor: string;
  op: 'put' | 'delete';
  item: string | null;
  changes: Change[];
}

export interface History {
  entity: EntityName;
  key: string;
  versions: Version[];
}

const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export async function recordHistory(db: Db, entity: EntityName, key: string): Promise<History> {
  const rows = (await db.knex(`${ENTRIES_TABLE} as e`)
    .leftJoin(`${ITEMS_TABLE} as i`, 'i.hash', 'e.item')
    .select('e.number', 'e.timestamp', 'e.actor', 'e.op', 'e.item', 'i.bytes')
    .where({ 'e.entity': entity, 'e.key': key })
    .orderBy('e.number')) as Array<{ number: number | string; timestamp: string; actor: string; op: 'put' | 'delete'; item: string | null; bytes: string | null }>;
  if (!rows.length) {
    throw new DataError(`the registry log has no ${ENTITIES[entity].noun} with code ${key} on target ${db.target.name}`, {
      details: [`- ${entity === 'services' ? 'for an agency, give --entity agencies' : 'for a service, leave out --entity'}`],
    });
  }
  let before: Record<string, Json> = {};
  const versions: Version[] = [];
  for (const r of rows) {
    const changes: Change[] = [];
    if (r.op === 'put') {
      const now = r.bytes === null ? {} : (JSON.parse(r.bytes) as Record<string, Json>);
      for (const f of ENTITIES[entity].fields) {
        if (!same(before[f.name], now[f.name])) changes.push({ field: f.name, from: before[f.name] ?? null, to: now[f.name] ?? null });
      }
      before = now;
    } else before = {};
    versions.push({ number: Number(r.number), timestamp: r.timestamp, actor: r.actor, op: r.op, item: r.item, changes });
  }
  return { entity, key, versions };
}
