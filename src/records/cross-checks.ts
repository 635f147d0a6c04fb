// The rules of SPEC §3 that need more than one record: duplicate-key, unknown-reference,
// hierarchy-cycle, inactive-authority. A million records must fit in ~200 MB, so this
// keeps keys, never records: per record a line, a code, a status bit and an interned id
// per reference, in typed arrays.
import { ENTITIES, RECORD_RULES, type EntityName, type FieldDef } from './fields.js';
import { normalize } from './field-values.js';
import { issue, type Issue } from './issues.js';
import { ownString } from './own-string.js';
import type { CheckedRecord } from './validate.js';
import type { AgencyLookup } from './agency-lookup.js';

export type { AgencyLookup } from './agency-lookup.js';

/** Lines shown in one duplicate-key message; every line still gets its own issue. */
const LINES_SHOWN = 10;

class IntArray {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

interface UniqueIndex {
  field: FieldDef;
  first: Map<string, number>;
  /** value → every record index holding it, once a second one turns up */
  dups: Map<string, number[]>;
}

interface RefIndex {
  field: FieldDef;
  target: EntityName;
  /** interned id of the referenced code per record, -1 for none */
  ids: IntArray;
}

export class CrossChecker {
  private readonly lines = new IntArray();
  private readonly recordNos = new IntArray();
  private readonly keys: Array<string | null> = [];
  private active = new Uint8Array(1024);
  private readonly unique: UniqueIndex[];
  private readonly refs: RefIndex[];
  /** referenced codes, interned: a million services name a few thousand agencies */
  private readonly refIds = new Map<string, number>();
  private readonly refCodes: string[] = [];
  private readonly statusField: string;
  private readonly activeStatus: string;

  constructor(private readonly entityName: EntityName) {
    const fields = ENTITIES[entityName].fields;
    this.unique = fields.filter((f) => f.unique).map((field) => ({ field, first: new Map(), dups: new Map() }));
    this.refs = fields.filter((f) => f.references).map((field) => ({ field, target: field.references!, ids: new IntArray() }));
    this.statusField = RECORD_RULES[entityName].statusField;
    this.activeStatus = RECORD_RULES[entityName].activeStatus;
  }

  /** How many records were added. */
  get size(): number {
    return this.keys.length;
  }

  /** The codes seen, for checks against a database (key-exists, unused-agency). */
  *codes(): IterableIterator<string> {
    const code = this.unique.find((u) => u.field.name === ENTITIES[this.entityName].key);
    if (code) yield* code.first.keys();
  }

  /** Remembers what the whole-file rules need of one record, and nothing else. */
  add(rec: CheckedRecord, raw: Record<string, unknown>): void {
    const index = this.keys.length;
    const bad = new Set(rec.issues.filter((i) => i.severity === 'error').map((i) => i.field));
    this.keys.push(rec.key === null ? null : ownString(rec.key));
    this.lines.push(rec.line ?? 0);
    this.recordNos.push(rec.record ?? 0);
    if (index === this.active.length) {
      const next = new Uint8Array(this.active.length * 2);
      next.set(this.active);
      this.active = next;
    }
    this.active[index] = normalize(raw[this.statusField]) === this.activeStatus ? 1 : 0;

    for (const u of this.unique) {
      const v = u.field.name === ENTITIES[this.entityName].key ? this.keys[index] : text(raw[u.field.name]);
      if (v === null || v === undefined) continue;
      const first = u.first.get(v);
      if (first === undefined) u.first.set(u.field.name === ENTITIES[this.entityName].key ? v : ownString(v), index);
      else {
        const all = u.dups.get(v);
        if (all) all.push(index);
        else u.dups.set(ownString(v), [first, index]);
      }
    }
    for (const r of this.refs) {
      // A malformed reference already has its error; "does not exist" would only repeat it.
      const v = bad.has(r.field.name) ? null : text(raw[r.field.name]);
      r.ids.push(v === null ? -1 : this.intern(v));
    }
  }

  private intern(code: string): number {
    let id = this.refIds.get(code);
    if (id === undefined) {
      id = this.refCodes.length;
      const own = ownString(code);
      this.refCodes.push(own);
      this.refIds.set(own, id);
    }
    return id;
  }

  private at(index: number): { line: number | null; record?: number; key: string | null } {
    const line = this.lines.data[index]!;
    const record = this.recordNos.data[index]!;
    const at: { line: number | null; record?: number; key: string | null } = { line: line === 0 ? null : line, key: this.keys[index] ?? null };
    if (record !== 0) at.record = record;
    return at;
  }

  /**
   * The whole-file issues. `agencies` resolves references the file itself cannot: without
   * it, references to another entity are not checked (nothing to check them against),
   * while an agency's parent must then be in the same file.
   */
  finish(agencies?: AgencyLookup): Issue[] {
    const issues: Issue[] = [];
    this.duplicates(issues);
    this.references(issues, agencies);
    this.cycles(issues);
    return issues;
  }

  private duplicates(issues: Issue[]): void {
    for (const u of this.unique) {
      for (const [value, all] of u.dups) {
        const lines = all.map((i) => this.lines.data[i]!).filter((l) => l > 0);
        const where = lines.length
          ? `: lines ${lines.slice(0, LINES_SHOWN).join(', ')}${lines.length > LINES_SHOWN ? ` and ${lines.length - LINES_SHOWN} more` : ''}`
          : '';
        for (const i of all) {
          issues.push(issue('duplicate-key', this.at(i), u.field.name, value,
            `${u.field.name} ${value} appears ${all.length} times${where}`));
        }
      }
    }
  }

  /** The status of each referenced code, looked up once per distinct code. */
  private resolve(target: EntityName, agencies?: AgencyLookup): Array<string | undefined | null> {
    const out: Array<string | undefined | null> = new Array(this.refCodes.length);
    const own = target === this.entityName ? this.unique.find((u) => u.field.name === ENTITIES[target].key)?.first : undefined;
    for (let id = 0; id < this.refCodes.length; id++) {
      const code = this.refCodes[id]!;
      const inFile = own?.get(code);
      if (inFile !== undefined) out[id] = this.active[inFile] ? RECORD_RULES[target].activeStatus : 'not-active';
      else if (agencies && target === 'agencies') out[id] = agencies.status(code);
      else if (target === this.entityName) out[id] = undefined; // must be in this very file
      else out[id] = null; // nothing to resolve against: not checked
    }
    return out;
  }

  private references(issues: Issue[], agencies?: AgencyLookup): void {
    for (const r of this.refs) {
      const status = this.resolve(r.target, agencies);
      const noun = ENTITIES[r.target].noun;
      const inactive = RECORD_RULES[r.target].inactiveStatus;
      const data = r.ids.data;
      for (let i = 0; i < r.ids.length; i++) {
        const id = data[i]!;
        if (id < 0) continue;
        const s = status[id];
        const code = this.refCodes[id]!;
        if (s === undefined) {
          issues.push(issue('unknown-reference', this.at(i), r.field.name, code, `${noun} ${code} does not exist`));
        } else if (s !== null && s === inactive && r.target !== this.entityName && this.active[i]) {
          issues.push(issue('inactive-authority', this.at(i), r.field.name, code,
            `${noun} ${code} is ${inactive}, but this ${this.activeStatus} ${ENTITIES[this.entityName].noun} names it`));
        }
      }
    }
  }

  /** Parent chains that loop, among the records of this file (parents may come later). */
  private cycles(issues: Issue[]): void {
    const self = this.refs.find((r) => r.target === this.entityName);
    const codeIndex = this.unique.find((u) => u.field.name === ENTITIES[this.entityName].key)?.first;
    if (!self || !codeIndex) return;
    const n = this.keys.length;
    const state = new Uint8Array(n); // 0 new, 1 on the current path, 2 done
    const parentOf = (i: number): number => {
      const id = self.ids.data[i]!;
      if (id < 0) return -1;
      return codeIndex.get(this.refCodes[id]!) ?? -1;
    };
    for (let start = 0; start < n; start++) {
      if (state[start] !== 0) continue;
      const path: number[] = [];
      let i = start;
      while (i >= 0 && state[i] === 0) {
        state[i] = 1;
        path.push(i);
        i = parentOf(i);
      }
      if (i >= 0 && state[i] === 1) {
        const loop = path.slice(path.indexOf(i));
        const chain = [...loop, loop[0]!].map((k) => this.keys[k]).join(' → ');
        for (const k of loop) {
          issues.push(issue('hierarchy-cycle', this.at(k), self.field.name, this.refCodes[self.ids.data[k]!]!,
            `the chain of parents loops: ${chain}`));
        }
      }
      for (const k of path) state[k] = 2;
    }
  }
}

function text(raw: unknown): string | null {
  const v = normalize(raw);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}
