import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkpointNote } from '../../src/registry/log/checkpoint.js';
import { generateKey, parseSignerKey, parseVerifierKey } from '../../src/registry/log/note-keys.js';
import { rootOfLeaves } from '../../src/registry/log/merkle-tree.js';
import { verifyLog } from '../../src/registry/log/verify-log.js';
import { ndjson, service, writeSampleLog } from '../helpers/log-file.js';

// The log file of SPEC §9 through the real writer and the streaming verifier: each way of
// breaking it gives its code, on the line of the entry.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-log-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const key = generateKey('egovctl/test');
const signer = parseSignerKey(key.signer);
const verifier = parseVerifierKey(key.verifier);
let n = 0;

async function sample() {
  const file = path.join(dir, `log-${++n}.log`);
  const s = await writeSampleLog(file);
  const cp = Buffer.from(checkpointNote({ origin: 'egovctl/test', size: s.size, root: s.root }, signer));
  return { file, cp, ...s };
}

function lines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
}

const codes = (r: { issues: Array<{ code: string }> }) => r.issues.map((i) => i.code);

describe('the log file', () => {
  test('one line per entry: entry bytes, TAB, item bytes (nothing for a delete), LF; the root is the tree over the entry bytes', async () => {
    const s = await sample();
    const ls = lines(s.file);
    expect(ls).toHaveLength(8);
    expect(ls[0]).toMatch(/^\{"actor":"migration","entity":"agencies","item":"sha-256:[0-9a-f]{64}","key":"ADL","number":1,"op":"put","timestamp":"2026-11-01T08:00:00.000Z"\}\t\{"code":"ADL",/);
    expect(ls[7]).toBe('{"actor":"root@db1","entity":"services","item":null,"key":"SVC-C","number":8,"op":"delete","timestamp":"2026-11-20T09:30:00.000Z"}\t');
    expect(s.root.equals(rootOfLeaves(ls.map((l) => Buffer.from(l.split('\t')[0]!))))).toBe(true);
  });

  test('a sound log, checkpoint and snapshot verify', async () => {
    const s = await sample();
    fs.writeFileSync(`${s.file}.ndjson`, ndjson(s.services));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'cp', bytes: s.cp }], keys: [verifier], snapshot: { file: `${s.file}.ndjson`, entity: 'services' } });
    expect(r.issues).toEqual([]);
    expect(r).toMatchObject({ valid: true, records: 8, size: 8, root: s.root.toString('base64'), errors: 0 });
    expect(r.checkpoints[0]).toMatchObject({ size: 8, signature: 'verified', root_matches: true, signed_by: [`egovctl/test+${key.verifier.split('+')[1]}`] });
    expect(r.snapshot?.records).toBe(4);
  });

  test('an entry taken out: log-gap at its line, and the checkpoint root no longer matches', async () => {
    const s = await sample();
    const ls = lines(s.file);
    fs.writeFileSync(s.file, [...ls.slice(0, 3), ...ls.slice(4)].map((l) => `${l}\n`).join(''));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'cp', bytes: s.cp }], keys: [verifier] });
    expect(r.valid).toBe(false);
    expect(r.issues[0]).toMatchObject({ code: 'log-gap', line: 4, key: 'SVC-D' });
    expect(r.issues[0]!.message).toContain('entries 4–4 are missing');
    expect(codes(r)).toContain('root-mismatch');
  });

  test('one byte of an item changed: item-mismatch naming the entry', async () => {
    const s = await sample();
    const text = fs.readFileSync(s.file, 'utf8').replace('"name_uz":"Xizmat SVC-D"', '"name_uz":"Xizmat SVC-X"');
    fs.writeFileSync(s.file, text);
    const r = await verifyLog({ log: s.file });
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: 'item-mismatch', line: 5, key: 'SVC-D' });
    expect(r.issues[0]!.message).toMatch(/^line 5 \(entry 5, services SVC-D\)/);
  });

  test('an entry not in canonical form, or not JSON: malformed-record on its line', async () => {
    const s = await sample();
    const ls = lines(s.file);
    ls[2] = ls[2]!.replace('{"actor"', '{ "actor"');
    ls[5] = ls[5]!.replace('"op":"put"', '"op":"put');
    fs.writeFileSync(s.file, ls.map((l) => `${l}\n`).join(''));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'cp', bytes: s.cp }], keys: [verifier] });
    expect(r.issues.filter((i) => i.code === 'malformed-record').map((i) => i.line)).toEqual([3, 6]);
    expect(r.issues[0]!.message).toContain('canonical');
    expect(codes(r)).toContain('root-mismatch');
  });

  test('cut short inside a line: malformed-record naming the line and entry', async () => {
    const s = await sample();
    const buf = fs.readFileSync(s.file);
    fs.writeFileSync(s.file, buf.subarray(0, buf.length - 20));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'cp', bytes: s.cp }], keys: [verifier] });
    expect(r.issues[0]).toMatchObject({ code: 'malformed-record', line: 8 });
    expect(r.issues[0]!.message).toContain('cut short');
    expect(r.issues[1]).toMatchObject({ code: 'root-mismatch' });
    expect(r.issues[1]!.message).toContain('only 7 complete entries');
  });

  test('cut short at a line end: root-mismatch against the checkpoint', async () => {
    const s = await sample();
    fs.writeFileSync(s.file, lines(s.file).slice(0, 6).map((l) => `${l}\n`).join(''));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'cp', bytes: s.cp }], keys: [verifier] });
    expect(codes(r)).toEqual(['root-mismatch']);
    expect(r.issues[0]!.message).toContain('size 8, but the log holds only 6 complete entries');
    // without the checkpoint a shorter log is still a valid log: only a checkpoint can tell
    expect((await verifyLog({ log: s.file })).valid).toBe(true);
  });

  test('a checkpoint signed by another key, or altered: bad-signature; an older checkpoint still matches its prefix', async () => {
    const s = await sample();
    const other = parseSignerKey(generateKey('egovctl/test').signer);
    const foreign = Buffer.from(checkpointNote({ origin: 'egovctl/test', size: s.size, root: s.root }, other));
    const altered = Buffer.from(s.cp.toString('utf8').replace(/\n8\n/, '\n7\n'));
    const ls = lines(s.file);
    const old = Buffer.from(checkpointNote({ origin: 'egovctl/test', size: 3, root: rootOfLeaves(ls.slice(0, 3).map((l) => Buffer.from(l.split('\t')[0]!))) }, signer));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'foreign', bytes: foreign }, { file: 'altered', bytes: altered }, { file: 'old', bytes: old }], keys: [verifier] });
    expect(r.issues.map((i) => [i.code, i.value])).toEqual([['bad-signature', 'foreign'], ['bad-signature', 'altered']]);
    expect(r.issues[0]!.message).toContain('no verifiable signatures');
    expect(r.issues[1]!.message).toContain('invalid signature');
    expect(r.checkpoints[2]).toMatchObject({ size: 3, root_matches: true, signature: 'verified' });
  });

  test('one byte of an entry changed, still canonical: root-mismatch, bounded by the checkpoints that still match', async () => {
    const s = await sample();
    const ls = lines(s.file);
    const at3 = Buffer.from(checkpointNote({ origin: 'egovctl/test', size: 3, root: rootOfLeaves(ls.slice(0, 3).map((l) => Buffer.from(l.split('\t')[0]!))) }, signer));
    ls[4] = ls[4]!.replace('"actor":"migration"', '"actor":"migratiom"');
    fs.writeFileSync(s.file, ls.map((l) => `${l}\n`).join(''));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'at3', bytes: at3 }, { file: 'cp', bytes: s.cp }], keys: [verifier] });
    expect(codes(r)).toEqual(['root-mismatch']);
    expect(r.issues[0]!.message).toContain('an entry from 4 to 8 (lines 4–8; the checkpoint of size 3 matches) was changed');
  });

  test('a checkpoint whose root is wrong: root-mismatch naming its size', async () => {
    const s = await sample();
    const wrong = Buffer.from(checkpointNote({ origin: 'egovctl/test', size: 5, root: s.root }, signer));
    const r = await verifyLog({ log: s.file, checkpoints: [{ file: 'wrong', bytes: wrong }], keys: [verifier] });
    expect(codes(r)).toEqual(['root-mismatch']);
    expect(r.issues[0]).toMatchObject({ line: 5 });
  });

  test('snapshot: a changed field, an extra and a missing record are log-drift naming key and field', async () => {
    const s = await sample();
    const [a, b, d] = s.services;
    const exp = `${s.file}.ndjson`;
    fs.writeFileSync(exp, ndjson([a!, { ...b!, fee_uzs: '2500.6' }, d!, service('SVC-Z')]));
    const r = await verifyLog({ log: s.file, snapshot: { file: exp, entity: 'services' } });
    expect(r.issues.map((i) => [i.code, i.key, i.field])).toEqual([
      ['log-drift', 'SVC-Z', null],
      ['log-drift', 'SVC-E', null],
      ['log-drift', 'SVC-B', 'fee_uzs'],
    ]);
    const fee = r.issues[2]!;
    expect(fee).toMatchObject({ line: 2, value: '2500.6' });
    expect(fee.message).toBe(`service SVC-B: fee_uzs is "2500.5" in the log (line 7), "2500.6" in ${exp} (line 2)`);
    expect(r.issues[0]!.message).toContain('extra');
    expect(r.issues[1]!.message).toContain('missing');
  });

  test('a record twice in the export is log-drift on its second line', async () => {
    const s = await sample();
    const exp = `${s.file}.ndjson`;
    fs.writeFileSync(exp, ndjson([...s.services, s.services[0]!]));
    const r = await verifyLog({ log: s.file, snapshot: { file: exp, entity: 'services' } });
    expect(r.issues.map((i) => [i.code, i.key, i.line, i.field])).toEqual([['log-drift', 'SVC-A', 5, 'code']]);
    expect(r.issues[0]!.message).toContain('twice');
  });

  test('the deleted record is not in the snapshot: an export still holding it drifts', async () => {
    const s = await sample();
    const exp = `${s.file}.ndjson`;
    fs.writeFileSync(exp, ndjson([...s.services, service('SVC-C')]));
    const r = await verifyLog({ log: s.file, snapshot: { file: exp, entity: 'services' } });
    expect(r.issues.map((i) => [i.code, i.key])).toEqual([['log-drift', 'SVC-C']]);
  });
});
