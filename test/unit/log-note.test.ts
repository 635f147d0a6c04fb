import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkpointNote, formatCheckpoint, openCheckpoint, parseCheckpoint } from '../../src/registry/log/checkpoint.js';
import { EMPTY_ROOT } from '../../src/registry/log/merkle-hash.js';
import { generateKey, keyHash, parseSignerKey, parseVerifierKey } from '../../src/registry/log/note-keys.js';
import { NoteError, openNote, signNote } from '../../src/registry/log/signed-note.js';

// golang.org/x/mod/sumdb/note's own test vectors (test/fixtures/log/go-note.json): the
// same key must give Go's exact bytes, and Go's notes must open here.
const G = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'log', 'go-note.json'), 'utf8')) as {
  peter: { signer: string; verifier: string };
  enoch: { verifier: string };
  text: string;
  signed: string;
  peterSig: string;
  enochSig: string;
  badVerifiers: string[];
  pairs: Array<{ signer: string; verifier: string }>;
};
const peter = parseVerifierKey(G.peter.verifier);
const enoch = parseVerifierKey(G.enoch.verifier);

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof NoteError ? e.kind : `other: ${(e as Error).message}`;
  }
  return 'none';
}

describe('keys (note.NewSigner / NewVerifier / GenerateKey)', () => {
  test('the signer key parses, its hash checks out and it derives the published verifier key', () => {
    const s = parseSignerKey(G.peter.signer);
    expect(s.name).toBe('PeterNeumann');
    expect(s.hash).toBe(0xc74f20a3);
    expect(s.verifier.text).toBe(G.peter.verifier);
    for (const p of G.pairs) expect(parseSignerKey(p.signer).verifier.text).toBe(p.verifier);
  });
  test('key hash = first 4 bytes of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ key)', () => {
    expect(keyHash('PeterNeumann', Buffer.concat([Buffer.of(1), peter.publicKey]))).toBe(0xc74f20a3);
    expect(enoch.hash).toBe(0xaf0cfe78);
  });
  test('every substring and every one-byte change of the verifier key is refused (as TestNewVerifier)', () => {
    const b = Buffer.from(G.peter.verifier);
    let accepted = 0;
    for (let i = 0; i <= b.length; i++) for (let j = i + 1; j <= b.length; j++) {
      if (i === 0 && j === b.length) continue;
      try { parseVerifierKey(b.subarray(i, j).toString()); accepted++; } catch { /* refused */ }
    }
    for (let i = 0; i < b.length; i++) {
      const c = Buffer.from(b);
      c[i]!++;
      try { parseVerifierKey(c.toString('latin1')); accepted++; } catch { /* refused */ }
    }
    expect(accepted).toBe(0);
    for (const k of G.badVerifiers) expect(() => parseVerifierKey(k)).toThrow();
  });
  test('every substring and one-byte change of the signer key is refused (as TestNewSigner)', () => {
    const b = Buffer.from(G.peter.signer);
    let accepted = 0;
    for (let i = 0; i <= b.length; i++) for (let j = i + 1; j <= b.length; j++) {
      if (i === 0 && j === b.length) continue;
      try { parseSignerKey(b.subarray(i, j).toString()); accepted++; } catch { /* refused */ }
    }
    for (let i = 0; i < b.length; i++) {
      const c = Buffer.from(b);
      c[i]!++;
      try { parseSignerKey(c.toString('latin1')); accepted++; } catch { /* refused */ }
    }
    expect(accepted).toBe(0);
  });
  test('a generated pair is in the format and works together', () => {
    const k = generateKey('egov.uz/registry');
    expect(k.signer).toMatch(/^PRIVATE\+KEY\+egov\.uz\/registry\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$/);
    expect(k.verifier).toMatch(/^egov\.uz\/registry\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$/);
    expect(parseSignerKey(k.signer).verifier.text).toBe(k.verifier);
    const note = signNote('hello\n', [parseSignerKey(k.signer)]);
    expect(openNote(note, [parseVerifierKey(k.verifier)]).text).toBe('hello\n');
    expect(() => generateKey('has space')).toThrow();
    expect(() => generateKey('a+b')).toThrow();
  });
});

describe('signed notes (note.Sign / note.Open)', () => {
  test('signing Go\'s text with Go\'s key gives Go\'s exact bytes (TestSign)', () => {
    expect(signNote(G.text, [parseSignerKey(G.peter.signer)])).toBe(G.signed);
    expect(G.signed).toContain('\n\n\u2014 PeterNeumann ');
  });
  test('opens Go\'s note with one or both keys; the other signature stays unverified (TestOpen)', () => {
    const msg = `${G.text}\n${G.peterSig}${G.enochSig}`;
    const one = openNote(msg, [peter]);
    expect(one.text).toBe(G.text);
    expect(one.sigs.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => [s.name, s.hash])).toEqual([['EnochRoot', 0xaf0cfe78]]);
    expect(openNote(msg, [peter, enoch]).sigs.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
  });
  test('no known key: unverified; a duplicated known key: ambiguous', () => {
    expect(kindOf(() => openNote(`${G.text}\n${G.peterSig}`, []))).toBe('unverified');
    expect(kindOf(() => openNote(`${G.text}\n${G.enochSig}`, [peter]))).toBe('unverified');
    expect(kindOf(() => openNote(`${G.text}\n${G.enochSig}`, [enoch, peter, enoch]))).toBe('ambiguous-key');
  });
  test('altered text, an altered signature, a wrong key hash are refused', () => {
    expect(kindOf(() => openNote(`${G.text.replace('cryptography', 'cryptographY')}\n${G.peterSig}`, [peter]))).toBe('invalid-signature');
    expect(kindOf(() => openNote(`${G.text}\n${G.peterSig.slice(0, 60)}ABCD${G.peterSig.slice(60)}`, [peter]))).toBe('invalid-signature');
    // "x08g" is the key hash c74f20a3 in base64: another hash is another (unknown) key
    expect(kindOf(() => openNote(`${G.text}\n${G.peterSig.replace('x08g', 'xxxx')}`, [peter]))).toBe('unverified');
  });
  test('malformed notes (the badMsgs of TestOpen)', () => {
    const bad = [
      G.text,
      `${G.text}\n`,
      `${G.text}\n${G.peterSig.slice(0, -1)}`,
      `\x01${G.text}\n${G.peterSig}`,
      `${G.text}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${G.text}\n${G.peterSig}Unexpected line.\n`,
      `${G.text}\n${G.peterSig.repeat(101)}`,
    ];
    for (const m of bad) expect(kindOf(() => openNote(m, [peter])), JSON.stringify(m.slice(-30))).toBe('malformed');
    expect(kindOf(() => openNote(Buffer.concat([Buffer.of(0xff), Buffer.from(`${G.text}\n${G.peterSig}`)]), [peter]))).toBe('malformed');
    expect(() => signNote('abc', [parseSignerKey(G.peter.signer)])).toThrow(/newline/);
  });
});

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  const root = Buffer.alloc(32, 7);
  test('format: origin, size, base64 root, then the audit line', () => {
    expect(formatCheckpoint({ origin: 'egovctl/registry', size: 12, root, audit: { rows: 3, head: `sha-256:${'ab'.repeat(32)}` } }))
      .toBe(`egovctl/registry\n12\n${root.toString('base64')}\naudit 3 sha-256:${'ab'.repeat(32)}\n`);
    expect(formatCheckpoint({ origin: 'o', size: 0, root: EMPTY_ROOT })).toBe('o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n');
  });
  test('parse what format writes; refuse bad sizes, roots and audit lines', () => {
    const text = formatCheckpoint({ origin: 'o', size: 5, root, audit: { rows: 0, head: null } });
    const c = parseCheckpoint(text);
    expect([c.origin, c.size, c.root.equals(root), c.audit]).toEqual(['o', 5, true, { rows: 0, head: null }]);
    for (const t of ['o\n05\nAAAA\n', `o\n-1\n${root.toString('base64')}\n`, 'o\n1\nAAAA\n', `o\n1\n${root.toString('base64')}\naudit x y\n`, `\n1\n${root.toString('base64')}\n`, `o\n1\n${root.toString('base64')}`]) {
      expect(() => parseCheckpoint(t), JSON.stringify(t)).toThrow();
    }
  });
  test('the registry checkpoint output, signed, opens with the verifier key and not with another', () => {
    const k = generateKey('egovctl/registry');
    const other = generateKey('egovctl/registry');
    const note = checkpointNote({ origin: 'egovctl/registry', size: 5, root, audit: { rows: 2, head: `sha-256:${'0'.repeat(64)}` } }, parseSignerKey(k.signer));
    const opened = openCheckpoint(Buffer.from(note), [parseVerifierKey(k.verifier)]);
    expect(opened.checkpoint.size).toBe(5);
    expect(opened.checkpoint.audit?.rows).toBe(2);
    expect(kindOf(() => openCheckpoint(Buffer.from(note), [parseVerifierKey(other.verifier)]))).toBe('unverified');
    expect(kindOf(() => openCheckpoint(Buffer.from(note.replace('\n5\n', '\n6\n')), [parseVerifierKey(k.verifier)]))).toBe('invalid-signature');
    // Go's vectors signed a checkpoint-shaped text too: our signer gives its bytes for a checkpoint
    const go = checkpointNote({ origin: 'PeterNeumann', size: 1, root: EMPTY_ROOT }, parseSignerKey(G.peter.signer));
    expect(openNote(go, [peter]).text).toBe('PeterNeumann\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n');
  });
});
