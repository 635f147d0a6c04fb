// The rules of SPEC §3 that need more than one record: duplicate-key, unknown-reference,
// hierarchy-cycle, inactive-authority. A million records must fit in ~200 MB, so this
// keeps keys, never records: per record a line, a code, a status bit and an interned id
// per reference, in typed arrays.
import { ENTITIES, RECORD_RULES, type EntityName, type FieldDef } from './fields.js';
import { normalize } from './field-values.js';
import { issue, type Issue } from './issues.js';
import { KeyTable } from './key-table.js';
import { ownString } from './own-string.js';
import type { CheckedRecord } from './validate.js';
import type { AgencyLookup } from './agency-lookup.js';
import { AUDIENCES, CHANNELS } from './fields.js';
import { mismatches, valueBit, type ServiceLookup } from './service-lookup.js';

export type { AgencyLookup, AgencyStatus } from './agency-lookup.js';
export { agencyLookupFromMap, combineLookups } from './agency-lookup.js';

interface Sink {
  push(issue: Issue): void;
}

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
  /** the code of every record, and where each code first appeared */
  private readonly keys = new KeyTable();
  private readonly keyDups = new Map<string, number[]>();
  private active = new Uint8Array(1024);
  private readonly unique: UniqueIndex[];
  private readonly refs: RefIndex[];
  /** referenced codes, interned: a million services name a few thousand agencies */
  private readonly refIds = new Map<string, number>();
  private readonly refCodes: string[] = [];
  private readonly statusField: string;
  private readonly activeStatus: string;
  private readonly keyName: string;
  private readonly keyField: FieldDef;
  /** applications: the audience bit and the channel bit of each record (0: not checked) */
  private readonly audienceBits: IntArray | null;
  private readonly channelBits: IntArray | null;

  constructor(private readonly entityName: EntityName) {
    const fields = ENTITIES[entityName].fields;
    this.keyName = ENTITIES[entityName].key;
    this.keyField = fields.find((f) => f.name === this.keyName)!;
    this.unique = fields.filter((f) => f.unique && f.name !== this.keyName).map((field) => ({ field, first: new Map(), dups: new Map() }));
    this.refs = fields.filter((f) => f.references).map((field) => ({ field, target: field.references!, ids: new IntArray() }));
    this.statusField = RECORD_RULES[entityName].statusField;
    this.activeStatus = RECORD_RULES[entityName].activeStatus;
    // A record naming a service (an application) takes its audience and channel from it.
    const namesServices = this.refs.some((r) => r.target === 'services');
    this.audienceBits = namesServices ? new IntArray() : null;
    this.channelBits = namesServices ? new IntArray() : null;
  }

  /** How many records were added. */
  get size(): number {
    return this.keys.size;
  }

  /** The codes seen, for checks against a database (key-exists, unused-agency). */
  *codes(): IterableIterator<string> {
    yield* this.keys.distinctKeys();
  }

  /** Remembers what the whole-file rules need of one record, and nothing else. */
  add(rec: CheckedRecord, raw: Record<string, unknown>): void {
    const index = this.keys.size;
    const first = this.keys.push(rec.key);
    if (first >= 0) {
      const all = this.keyDups.get(rec.key!);
      if (all) all.push(index);
      else this.keyDups.set(ownString(rec.key!), [first, index]);
    }
    this.lines.push(rec.line ?? 0);
    this.recordNos.push(rec.record ?? 0);
    if (index === this.active.length) {
      const next = new Uint8Array(this.active.length * 2);
      next.set(this.active);
      this.active = next;
    }
    this.active[index] = normalize(raw[this.statusField]) === this.activeStatus ? 1 : 0;

    for (const u of this.unique) {
      const v = text(raw[u.field.name]);
      if (v === null) continue;
      const seen = u.first.get(v);
      if (seen === undefined) u.first.set(ownString(v), index);
      else {
        const all = u.dups.get(v);
        if (all) all.push(index);
        else u.dups.set(ownString(v), [seen, index]);
      }
    }
    if (this.audienceBits) {
      this.audienceBits.push(hasError(rec, 'audience') ? 0 : valueBit(AUDIENCES, normalize(raw.audience)));
      this.channelBits!.push(hasError(rec, 'channel') ? 0 : valueBit(CHANNELS, normalize(raw.channel)));
    }
    for (const r of this.refs) {
      // A malformed reference already has its error; "does not exist" would only repeat it.
      const v = hasError(rec, r.field.name) ? null : text(raw[r.field.name]);
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
    const at: { line: number | null; record?: number; key: string | null } = { line: line === 0 ? null : line, key: this.keys.get(index) };
    if (record !== 0) at.record = record;
    return at;
  }

  /**
   * The whole-file issues. `agencies` resolves references the file itself cannot: without
   * it, references to another entity are not checked (nothing to check them against),
   * while an agency's parent must then be in the same file.
   */
  finish(agencies?: AgencyLookup, services?: ServiceLookup): Issue[] {
    const issues: Issue[] = [];
    this.finishInto((i) => issues.push(i), agencies, services);
    return issues;
  }

  /**
   * The same issues handed to `sink` one by one: a million services naming one missing
   * agency are a million issues, too many to hold at once when only a capped report
   * keeps them.
   */
  finishInto(sink: (issue: Issue) => void, agencies?: AgencyLookup, services?: ServiceLookup): void {
    const issues = { push: sink };
    this.duplicates(issues);
    this.references(issues, agencies, services);
    this.cycles(issues);
  }

  private duplicates(issues: Sink): void {
    const fields: Array<[FieldDef, Map<string, number[]>]> = [[this.keyField, this.keyDups], ...this.unique.map((u): [FieldDef, Map<string, number[]>] => [u.field, u.dups])];
    for (const [field, dups] of fields) {
      for (const [value, all] of dups) {
        const lines = all.map((i) => this.lines.data[i]!).filter((l) => l > 0);
        const where = lines.length
          ? `: lines ${lines.slice(0, LINES_SHOWN).join(', ')}${lines.length > LINES_SHOWN ? ` and ${lines.length - LINES_SHOWN} more` : ''}`
          : '';
        for (const i of all) {
          issues.push(issue('duplicate-key', this.at(i), field.name, value,
            `${field.name} ${value} appears ${all.length} times${where}`));
        }
      }
    }
  }

  /**
   * The status of each referenced code, looked up once per distinct code: undefined for
   * an unknown one, null when there is nothing to look it up in. A record of this very
   * file answers for itself (its status only matters for references to other entities).
   */
  private resolve(target: EntityName, agencies?: AgencyLookup, services?: ServiceLookup): Array<string | undefined | null> {
    const out: Array<string | undefined | null> = new Array(this.refCodes.length);
    for (let id = 0; id < this.refCodes.length; id++) {
      const code = this.refCodes[id]!;
      const inFile = target === this.entityName ? this.keys.find(code) : -1;
      if (inFile >= 0) out[id] = this.active[inFile] ? RECORD_RULES[target].activeStatus : 'in-file';
      else if (agencies && target === 'agencies') out[id] = agencies.status(code);
      else if (services && target === 'services') out[id] = services.service(code) === undefined ? undefined : 'known';
      else if (target === this.entityName) out[id] = undefined; // must be in this very file
      else out[id] = null; // nothing to resolve against: not checked
    }
    return out;
  }

  private references(issues: Sink, agencies?: AgencyLookup, services?: ServiceLookup): void {
    for (const r of this.refs) {
      const status = this.resolve(r.target, agencies, services);
      // An application's service, when known, also says which audiences and channels it takes.
      const infos = services && r.target === 'services' && this.audienceBits ? this.refCodes.map((c) => services.service(c)) : null;
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
        } else if (infos) {
          const info = infos[id];
          if (info) for (const m of mismatches(this.at(i), code, info, this.audienceBits!.data[i]!, this.channelBits!.data[i]!)) issues.push(m);
        } else if (s !== null && s === inactive && r.target !== this.entityName && this.active[i]) {
          issues.push(issue('inactive-authority', this.at(i), r.field.name, code,
            `${noun} ${code} is ${inactive}, but this ${this.activeStatus} ${ENTITIES[this.entityName].noun} names it`));
        }
      }
    }
  }

  /** Parent chains that loop, among the records of this file (parents may come later). */
  private cycles(issues: Sink): void {
    const self = this.refs.find((r) => r.target === this.entityName);
    if (!self) return;
    const n = this.keys.size;
    // parent's record index per interned code, looked up once
    const indexOfId = this.refCodes.map((code) => this.keys.find(code));
    const state = new Uint8Array(n); // 0 new, 1 on the current path, 2 done
    const parentOf = (i: number): number => {
      const id = self.ids.data[i]!;
      if (id < 0) return -1;
      return indexOfId[id]!;
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
        const chain = [...loop, loop[0]!].map((k) => this.keys.get(k)).join(' → ');
        for (const k of loop) {
          issues.push(issue('hierarchy-cycle', this.at(k), self.field.name, this.refCodes[self.ids.data[k]!]!,
            `the chain of parents loops: ${chain}`));
        }
      }
      for (const k of path) state[k] = 2;
    }
  }
}

function hasError(rec: CheckedRecord, field: string): boolean {
  if (rec.values !== null) return false;
  for (const i of rec.issues) if (i.severity === 'error' && i.field === field) return true;
  return false;
}

function text(raw: unknown): string | null {
  const v = normalize(raw);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}
