import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CompactRange } from '../../src/registry/log/compact-range.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../src/registry/log/merkle-hash.js';
import { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from '../../src/registry/log/merkle-proofs.js';
import { memoryNodes, rootOfLeafHashes, rootOfLeaves } from '../../src/registry/log/merkle-tree.js';

// RFC 6962 against rgdd/CCTV's published vectors (test/fixtures/log/README.md), then the
// incremental head and the proofs against the recursive definition for every size to 300.
const dir = path.join(import.meta.dirname, '..', 'fixtures', 'log');
const load = <T>(f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as T;
const b64 = (s: string) => Buffer.from(s, 'base64');

const TREE = load<Array<{ leaf_data: string; leaf_hash: string; root_hash: string }>>('cctv-merkle-tree.json');
type Inc = { leaf_hash: string; leaf_index: number; tree_size: number; root_hash: string; inclusion_path: string[]; comment?: string };
type Cons = { old_size: number; new_size: number; old_root: string; new_root: string; consistency_path: string[]; comment?: string };
const LEAVES = TREE.map((t) => leafHash(Buffer.from(t.leaf_data)));

describe('RFC 6962 tree (CCTV vectors)', () => {
  test('the empty root is SHA-256 of nothing', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(rootOfLeaves([])).toEqual(EMPTY_ROOT);
    expect(CompactRange.empty().root()).toEqual(EMPTY_ROOT);
  });
  test('leaf hashes and the root of every prefix, recursively and incrementally', () => {
    const range = CompactRange.empty();
    TREE.forEach((t, i) => {
      expect(LEAVES[i]!.toString('base64'), t.leaf_data).toBe(t.leaf_hash);
      expect(rootOfLeafHashes(LEAVES.slice(0, i + 1)).toString('base64'), `size ${i + 1}`).toBe(t.root_hash);
      range.append(LEAVES[i]!);
      expect(range.root().toString('base64'), `incremental size ${i + 1}`).toBe(t.root_hash);
    });
  });
  test('inclusion: generated proofs equal the valid vectors, which verify', () => {
    for (const v of load<Inc[]>('cctv-inclusion-valid.json')) {
      const proof = inclusionProof(v.leaf_index, v.tree_size, memoryNodes(LEAVES.slice(0, v.tree_size)));
      expect(proof.map((p) => p.toString('base64'))).toEqual(v.inclusion_path);
      expect(verifyInclusion(v.leaf_index, v.tree_size, b64(v.leaf_hash), v.inclusion_path.map(b64), b64(v.root_hash))).toBe(true);
    }
  });
  test('inclusion: every invalid vector is rejected', () => {
    const bad = load<Inc[]>('cctv-inclusion-invalid.json');
    expect(bad.length).toBeGreaterThan(0);
    for (const v of bad) expect(verifyInclusion(v.leaf_index, v.tree_size, b64(v.leaf_hash), v.inclusion_path.map(b64), b64(v.root_hash)), v.comment).toBe(false);
  });
  test('consistency: generated proofs equal the valid vectors, which verify', () => {
    for (const v of load<Cons[]>('cctv-consistency-valid.json')) {
      const proof = consistencyProof(v.old_size, v.new_size, memoryNodes(LEAVES.slice(0, v.new_size)));
      expect(proof.map((p) => p.toString('base64'))).toEqual(v.consistency_path);
      expect(verifyConsistency(v.old_size, v.new_size, b64(v.old_root), b64(v.new_root), v.consistency_path.map(b64), EMPTY_ROOT)).toBe(true);
    }
  });
  test('consistency: every invalid vector is rejected', () => {
    const bad = load<Cons[]>('cctv-consistency-invalid.json');
    expect(bad.length).toBe(16);
    for (const v of bad) expect(verifyConsistency(v.old_size, v.new_size, b64(v.old_root), b64(v.new_root), v.consistency_path.map(b64), EMPTY_ROOT), `${v.old_size}→${v.new_size}`).toBe(false);
  });
});

describe('cross-checks against the definition, every size to 300', () => {
  const N = 300;
  const leaves = Array.from({ length: N }, () => leafHash(crypto.randomBytes(1 + Math.floor(Math.random() * 40))));
  const roots = [EMPTY_ROOT];
  for (let n = 1; n <= N; n++) roots.push(rootOfLeafHashes(leaves.slice(0, n)));

  test('the incremental head equals the recursive root at every size, and survives its state being stored', () => {
    let range = CompactRange.empty();
    for (let n = 1; n <= N; n++) {
      range.append(leaves[n - 1]!);
      expect(range.root().equals(roots[n]!), `size ${n}`).toBe(true);
      // as the database will: store the state, read it back, go on
      if (n % 7 === 0) range = CompactRange.fromState(JSON.parse(JSON.stringify(range.state())) as ReturnType<CompactRange['state']>);
    }
    expect(range.state().hashes).toHaveLength(N.toString(2).replace(/0/g, '').length);
  });
  test('a tampered state is refused', () => {
    const r = CompactRange.empty();
    for (let i = 0; i < 5; i++) r.append(leaves[i]!);
    expect(() => CompactRange.fromState({ size: 7, hashes: r.state().hashes })).toThrow(/hashes for size 7/);
  });
  test('every inclusion proof of every size verifies, and fails for a wrong leaf, index or root', () => {
    for (let n = 1; n <= 64; n++) {
      const nodes = memoryNodes(leaves.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, nodes);
        expect(verifyInclusion(i, n, leaves[i]!, proof, roots[n]!), `${i} in ${n}`).toBe(true);
        expect(verifyInclusion(i, n, leaves[(i + 1) % N]!, proof, roots[n]!)).toBe(false);
        if (n > 1) expect(verifyInclusion((i + 1) % n, n, leaves[i]!, proof, roots[n]!)).toBe(false);
        expect(verifyInclusion(i, n, leaves[i]!, proof, roots[n - 1]!)).toBe(false);
      }
    }
  });
  test('inclusion in large sizes (to 300)', () => {
    for (let n = 65; n <= N; n += 13) {
      const nodes = memoryNodes(leaves.slice(0, n));
      for (const i of [0, 1, Math.floor(n / 2), n - 2, n - 1]) expect(verifyInclusion(i, n, leaves[i]!, inclusionProof(i, n, nodes), roots[n]!)).toBe(true);
    }
  });
  test('every consistency proof between sizes to 64 verifies, and fails for a wrong old root or a changed hash', () => {
    for (let n = 1; n <= 64; n++) {
      const nodes = memoryNodes(leaves.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(m, n, nodes);
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof, EMPTY_ROOT), `${m}→${n}`).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, roots[m - 1]!, roots[n]!, proof, EMPTY_ROOT)).toBe(false);
          const bent = proof.map((p, j) => (j === proof.length - 1 ? nodeHash(p, p) : p));
          expect(verifyConsistency(m, n, roots[m]!, roots[n]!, bent, EMPTY_ROOT)).toBe(false);
        }
      }
    }
  });
  test('consistency in large sizes (to 300)', () => {
    for (let n = 100; n <= N; n += 37) {
      const nodes = memoryNodes(leaves.slice(0, n));
      for (const m of [1, 2, 3, 63, 64, 65, n - 1]) expect(verifyConsistency(m, n, roots[m]!, roots[n]!, consistencyProof(m, n, nodes), EMPTY_ROOT), `${m}→${n}`).toBe(true);
    }
  });
});
