import { AUDIENCES, CHANNELS, type RecordValues } from '../records/fields.js';
import { issue, type Issue } from '../records/issues.js';
import { mismatches, valueBit } from '../records/service-lookup.js';
import { TimeZone, instantMs, isoDate } from '../time/zone.js';

const DAY_MS = 86_400_000;
import type { StoredServices } from './service-versions.js';

// An import of applications checks each application as it is read against the stored
// services and agencies (in memory: services are far fewer than applications), the way
// agency-refs.ts does for services, and sets its deadline (SPEC §10). The issues are those
// `validate file --with-db` gives (records/cross-checks.ts), with the same messages.

export class ApplicationRefs {
  constructor(
    private readonly services: StoredServices,
    private readonly agencies: ReadonlyMap<string, string>,
    readonly zone: TimeZone,
  ) {}

  /**
   * unknown-reference (errors), audience-mismatch and channel-mismatch (warnings) of one
   * checked application; sets its due_on when the file gave none and the service is known.
   */
  check(rec: { line: number; record?: number }, values: RecordValues): Issue[] | null {
    let out: Issue[] | null = null;
    const at = { line: rec.line, record: rec.record, key: values.id as string };
    const code = values.service_code as string;
    const info = this.services.service(code);
    if (info === undefined) {
      (out ??= []).push(issue('unknown-reference', at, 'service_code', code, `service ${code} does not exist`));
    } else {
      const m = mismatches(at, code, info, valueBit(AUDIENCES, values.audience), valueBit(CHANNELS, values.channel));
      if (m.length) (out ??= []).push(...m);
      if (values.due_on === null || values.due_on === undefined) values.due_on = this.dueOn(code, values.submitted_at as string);
    }
    const handler = values.handled_by;
    if (typeof handler === 'string' && !this.agencies.has(handler)) {
      (out ??= []).push(issue('unknown-reference', at, 'handled_by', handler, `agency ${handler} does not exist`));
    }
    return out;
  }

  /** YYYY-MM-DD by day number since 1970: a few thousand distinct deadlines among millions of applications. */
  private readonly dates = new Map<number, string>();

  /** The local submission date plus the service's processing_days as the log had it then. */
  dueOn(serviceCode: string, submittedAt: string): string {
    const ms = instantMs(submittedAt);
    // the local date as a day number (TimeZone.localDate's arithmetic), plus the days
    const day = Math.floor((ms + this.zone.offsetAt(ms)) / DAY_MS) + this.services.processingDaysAt(serviceCode, ms)!;
    let date = this.dates.get(day);
    if (date === undefined) {
      date = isoDate(day * DAY_MS);
      if (this.dates.size > 100_000) this.dates.clear();
      this.dates.set(day, date);
    }
    return date;
  }
}
