import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { leafHash } from '../../src/registry/log/merkle-hash.js';
import { verifyConsistency, verifyInclusion } from '../../src/registry/log/merkle-proofs.js';
import { EMPTY_ROOT } from '../../src/registry/log/merkle-hash.js';
import { ROOT } from '../helpers/cli.js';
import { cli, openTestDb, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// registry history and registry prove on both databases; the proofs are checked with the
// core's verifiers against the current checkpoint's root.

const SAMPLES = path.join(ROOT, 'samples');

describe.each<Dialect>(['pg', 'sqlite'])('registry history and prove on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    expect((await cli(t, ['import', 'agencies', path.join(SAMPLES, 'agencies.csv')])).code).toBe(0);
    expect((await cli(t, ['import', 'services', path.join(SAMPLES, 'services.csv')])).code).toBe(0);
    const text = fs.readFileSync(path.join(SAMPLES, 'services.csv'), 'utf8');
    const file = path.join(t.env.HOME!, 'changed.csv');
    fs.writeFileSync(file, text.replace(',G2B,business,active,,0.5,0,portal|center|api', ',G2B,business,active,,0.75,0,portal|center|api'));
    expect((await cli(t, ['import', 'services', file])).code).toBe(0);
    expect((await cli(t, ['registry', 'retire', 'BIZ-0001', '--on', '2026-12-31', '--yes'])).code).toBe(0);
    expect((await cli(t, ['registry', 'purge', '--status', 'retired', '--yes', '--no-backup'])).code).toBe(0);
  });
  afterAll(async () => t?.cleanup());

  test('history: every version oldest first, with who and what changed; JSON of SPEC §9', async () => {
    const r = await cli(t, ['registry', 'history', 'BIZ-0001', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const h = JSON.parse(r.stdout) as { entity: string; key: string; versions: Array<{ number: number; op: string; actor: string; item: string | null; changes: Array<{ field: string; from: unknown; to: unknown }> }> };
    expect(h.entity).toBe('services');
    expect(h.key).toBe('BIZ-0001');
    expect(h.versions.map((v) => v.op)).toEqual(['put', 'put', 'put', 'delete']);
    expect(h.versions.map((v) => v.number)).toEqual([...h.versions.map((v) => v.number)].sort((a, b) => a - b));
    expect(h.versions[0]!.changes).toContainEqual({ field: 'code', from: null, to: 'BIZ-0001' });
    expect(h.versions[1]!.changes.map((c) => c.field)).toEqual(['fee_bhm_percent', 'updated_at']);
    expect(h.versions[1]!.changes[0]).toEqual({ field: 'fee_bhm_percent', from: '0.5', to: '0.75' });
    expect(h.versions[2]!.changes.filter((c) => c.field !== 'updated_at')).toEqual([
      { field: 'status', from: 'active', to: 'retired' },
      { field: 'effective_to', from: null, to: '2026-12-31' },
    ]);
    expect(h.versions[3]).toMatchObject({ op: 'delete', item: null, changes: [] });
    expect(h.versions[0]!.actor).toMatch(/@/);
    const text = await cli(t, ['registry', 'history', 'BIZ-0001']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('fee_bhm_percent: 0.5 → 0.75');
    expect(text.stdout).toContain('deleted');
    const ag = await cli(t, ['registry', 'history', 'DXM', '--entity', 'agencies', '--json']);
    expect(ag.code).toBe(0);
    expect(JSON.parse(ag.stdout).versions).toHaveLength(1);
    const none = await cli(t, ['registry', 'history', 'NOPE-1', '--json']);
    expect(none.code).toBe(3);
    expect(JSON.parse(none.stdout).error.message).toContain('NOPE-1');
  });

  test('prove: inclusion of the latest entry and consistency between sizes, accepted by the core verifiers', async () => {
    const cp = JSON.parse((await cli(t, ['registry', 'checkpoint', '--json'])).stdout) as { size: number; root: string };
    const r = await cli(t, ['registry', 'prove', 'BIZ-0002']);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { size: number; root: string; index: number; entry: string; proof: string[] };
    expect(Object.keys(p).sort()).toEqual(['entry', 'index', 'proof', 'root', 'size']);
    expect({ size: p.size, root: p.root }).toEqual({ size: cp.size, root: cp.root });
    expect(JSON.parse(p.entry)).toMatchObject({ key: 'BIZ-0002', number: p.index + 1 });
    const proof = p.proof.map((x) => Buffer.from(x, 'base64'));
    expect(verifyInclusion(p.index, p.size, leafHash(Buffer.from(p.entry)), proof, Buffer.from(p.root, 'base64'))).toBe(true);
    // a proof against another entry's bytes is refused: the test can fail
    expect(verifyInclusion(p.index, p.size, leafHash(Buffer.from(p.entry.replace('BIZ-0002', 'BIZ-0003'))), proof, Buffer.from(p.root, 'base64'))).toBe(false);
    // at an older size: the version then
    const old = JSON.parse((await cli(t, ['registry', 'prove', 'BIZ-0001', '--size', '20'])).stdout) as typeof p;
    expect(old.size).toBe(20);
    expect(verifyInclusion(old.index, 20, leafHash(Buffer.from(old.entry)), old.proof.map((x) => Buffer.from(x, 'base64')), Buffer.from(old.root, 'base64'))).toBe(true);
    const c = JSON.parse((await cli(t, ['registry', 'prove', '--from-size', '20'])).stdout) as { old_size: number; old_root: string; size: number; root: string; proof: string[] };
    expect(Object.keys(c).sort()).toEqual(['old_root', 'old_size', 'proof', 'root', 'size']);
    expect(c.old_root).toBe(old.root);
    expect(c.root).toBe(cp.root);
    expect(verifyConsistency(20, c.size, Buffer.from(c.old_root, 'base64'), Buffer.from(c.root, 'base64'), c.proof.map((x) => Buffer.from(x, 'base64')), EMPTY_ROOT)).toBe(true);
    expect((await cli(t, ['registry', 'prove', 'NOPE-1'])).code).toBe(3);
    expect((await cli(t, ['registry', 'prove'])).code).toBe(2);
    expect((await cli(t, ['registry', 'prove', '--from-size', '5', '--size', '999999'])).code).toBe(2);
  });
});
