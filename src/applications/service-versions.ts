import type { Knex } from 'knex';
import { AUDIENCES, CHANNELS } from '../records/fields.js';
import { setBits, type ServiceInfo, type ServiceLookup } from '../records/service-lookup.js';
import { adapterOf } from '../db/dialect/index.js';
import { pagesByKey } from '../db/keyset.js';
import { selectRows } from '../import/stage.js';

// The stored services as an import of applications needs them (SPEC §10): that a service
// exists, its audience and channels (for the warnings), and its processing_days as the
// registry log had it at any instant (for deadlines). Read only, from the services table
// and the log's tables (registry_log_entries / registry_log_items: an item is the
// canonical JSON of the record). Services are far fewer than applications (up to a
// million): per service an index in a Map, two bytes of bits, and its processing days —
// one number, or the list of (time, days) where they changed.

const ENTRIES = 'registry_log_entries';
const ITEMS = 'registry_log_items';
/** Log entries read per query. */
const PAGE = 20_000;

export class StoredServices implements ServiceLookup {
  private readonly index = new Map<string, number>();
  private audience = new Uint8Array(0);
  private channels = new Uint8Array(0);
  /** processing_days of the stored record (used when the log has nothing of the service) */
  private current = new Int16Array(0);
  /** processing_days of the service's first entry in the log; -1 = no entry */
  private first = new Int16Array(0);
  /** service index → [ms, days, ms, days, …] of each later entry whose days differ from the one before */
  private readonly changes = new Map<number, number[]>();

  get size(): number {
    return this.index.size;
  }

  service(code: string): ServiceInfo | undefined {
    const i = this.index.get(code);
    return i === undefined ? undefined : { audience: this.audience[i]!, channels: this.channels[i]! };
  }

  /**
   * processing_days of the service as the registry log had it at `ms` (epoch ms): the
   * version of its last entry at or before then; before its first entry, the first
   * version. A service the log has nothing of: its stored value. undefined: unknown service.
   */
  processingDaysAt(code: string, ms: number): number | undefined {
    const i = this.index.get(code);
    if (i === undefined) return undefined;
    const first = this.first[i]!;
    if (first < 0) return this.current[i]!;
    const ch = this.changes.get(i);
    if (!ch) return first;
    let days = first;
    for (let k = 0; k < ch.length && ch[k]! <= ms; k += 2) days = ch[k + 1]!;
    return days;
  }

  static async load(trx: Knex | Knex.Transaction): Promise<StoredServices> {
    const s = new StoredServices();
    const rows = await selectRows<{ code: string; audience: string; channels: string; processing_days: number | string }>(
      trx, 'select code, audience, channels, processing_days from services');
    const n = rows.length;
    s.audience = new Uint8Array(n);
    s.channels = new Uint8Array(n);
    s.current = new Int16Array(n);
    s.first = new Int16Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      s.index.set(r.code, i);
      s.audience[i] = setBits(AUDIENCES, r.audience);
      s.channels[i] = setBits(CHANNELS, r.channels);
      s.current[i] = Number(r.processing_days);
    }
    rows.length = 0;
    if (n && (await trx.schema.hasTable(ENTRIES))) await s.readLog(trx);
    return s;
  }

  /** The puts of services in log order, a page at a time; only changes of processing_days are kept. */
  private async readLog(trx: Knex | Knex.Transaction): Promise<void> {
    const days = adapterOf(trx).sql.jsonMember('i.bytes', 'processing_days');
    const last = new Int16Array(this.first.length).fill(-1); // days of each service's latest entry so far
    const puts = pagesByKey<{ number: number | string; key: string; timestamp: string; days: number | string | null }, number>({
      pageSize: PAGE,
      key: (r) => Number(r.number),
      page: (after, limit) => selectRows(trx,
        `select e.number, e.key, e.timestamp, ${days} as days from ${ENTRIES} e join ${ITEMS} i on i.hash = e.item
          where e.entity = 'services' and e.op = 'put' and e.number > ? order by e.number limit ${limit}`, [after ?? 0]),
    });
    for await (const r of puts) {
      const i = this.index.get(r.key);
      if (i === undefined || r.days === null) continue; // purged since: no application can name it
      const d = Number(r.days);
      const prev = last[i]!;
      if (prev < 0) this.first[i] = d;
      else if (prev !== d) {
        let ch = this.changes.get(i);
        if (!ch) this.changes.set(i, (ch = []));
        ch.push(Date.parse(r.timestamp), d);
      }
      last[i] = d;
    }
  }
}
