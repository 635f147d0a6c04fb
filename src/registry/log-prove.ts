import type { Db } from '../db/connect.js';
import { DataError, UsageError } from '../errors.js';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { storedLines } from './log-file.js';
import { ENTRIES_TABLE, latestHead } from './log-store.js';
import { leafHash } from './log/merkle-hash.js';
import { consistencyProof, inclusionProof } from './log/merkle-proofs.js';
import { memoryNodes, rootOfLeafHashes } from './log/merkle-tree.js';

// `registry prove` (SPEC §9): an RFC 6962 §2.1.1 audit path for a record's latest entry,
// or a §2.1.2 consistency proof between two sizes, made with the core's proof code over
// the stored entries' leaf hashes (32 bytes each: 32 MB for a million entries).

export interface InclusionResult {
  size: number;
  root: string;
  index: number;
  entry: string;
  proof: string[];
}

export interface ConsistencyResult {
  old_size: number;
  old_root: string;
  size: number;
  root: string;
  proof: string[];
}

async function treeSize(db: Db, size: number | undefined): Promise<number> {
  const last = (await latestHead(db.knex))?.size ?? 0;
  if (size === undefined) return last;
  if (size > last) throw new UsageError(`--size ${size}: the registry log holds ${last} entries`);
  return size;
}

async function leaves(db: Db, size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const l of storedLines(db.knex, 1, size)) out.push(leafHash(l.entry));
  if (out.length !== size) throw new DataError(`the registry log's entries 1–${size} are not all there (${out.length} found): run egovctl registry verify`);
  return out;
}

const b64 = (b: Buffer[]) => b.map((h) => h.toString('base64'));

export async function proveInclusion(db: Db, entity: EntityName, key: string, sizeOpt?: number): Promise<InclusionResult> {
  const size = await treeSize(db, sizeOpt);
  const row = (await db.knex(ENTRIES_TABLE).select('number', 'bytes').where({ entity, key }).andWhere('number', '<=', size).orderBy('number', 'desc').first()) as { number: number | string; bytes: string } | undefined;
  if (!row) throw new DataError(`the registry log has no ${ENTITIES[entity].noun} with code ${key} within its first ${size} entries`);
  const hashes = await leaves(db, size);
  const index = Number(row.number) - 1;
  return { size, root: rootOfLeafHashes(hashes).toString('base64'), index, entry: row.bytes, proof: b64(inclusionProof(index, size, memoryNodes(hashes))) };
}

export async function proveConsistency(db: Db, oldSize: number, sizeOpt?: number): Promise<ConsistencyResult> {
  const size = await treeSize(db, sizeOpt);
  if (oldSize > size) throw new UsageError(`--from-size ${oldSize} is larger than the size ${size}`);
  const hashes = await leaves(db, size);
  return {
    old_size: oldSize,
    old_root: rootOfLeafHashes(hashes.slice(0, oldSize)).toString('base64'),
    size,
    root: rootOfLeafHashes(hashes).toString('base64'),
    proof: b64(consistencyProof(oldSize, size, memoryNodes(hashes))),
  };
}
