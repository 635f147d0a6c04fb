import { Transform, type TransformCallback } from 'node:stream';
import type { RecordValues } from '../records/fields.js';
import { cpsvContext } from './cpsv-ap-context.js';
import { agencyNode, fixedNodes, Iris, sectorNode, serviceNodes, type Node } from './cpsv-ap-nodes.js';

// The CPSV-AP document, written as the services stream by: the head (the inline @context,
// the concept schemes, the channels), then each service's nodes as its record arrives, then
// the organisations and sectors the services referred to. Nothing but those two small sets
// is kept: a million services go through in constant memory.
//
//   {"@context":{…},
//   "@graph":[
//   {node},
//   …
//   {node}
//   ]}
//
// One node per line. `<` is written as \u003c, so the document can also be embedded in an
// HTML <script type="application/ld+json"> without a value ending the script.

const NL = 0x0a;

function nodeText(n: Node): string {
  const text = JSON.stringify(n);
  return text.includes('<') ? text.replace(/</g, '\\u003c') : text;
}

export interface CpsvApSource {
  baseIri: string;
  /** every agency by code, read in the same snapshot as the services */
  agencies: ReadonlyMap<string, RecordValues>;
}

/** The pure part: text for the head, for each service, and for the tail. */
export class CpsvApWriter {
  private readonly iris: Iris;
  private readonly usedAgencies = new Set<string>();
  private readonly usedSectors = new Set<string>();

  constructor(private readonly src: CpsvApSource) {
    this.iris = new Iris(src.baseIri);
  }

  head(): string {
    const ctx = JSON.stringify({ '@context': cpsvContext(this.src.baseIri) }).slice(0, -1);
    return `${ctx},\n"@graph":[\n${fixedNodes(this.iris).map(nodeText).join(',\n')}`;
  }

  service(s: RecordValues): string {
    const agency = this.src.agencies.get(String(s.agency_code));
    for (let code: string | null = String(s.agency_code); code !== null && !this.usedAgencies.has(code);) {
      this.usedAgencies.add(code);
      const a = this.src.agencies.get(code);
      // the parent chain too: org:subOrganizationOf must point at a typed node
      code = a && a.parent_code ? String(a.parent_code) : null;
    }
    if (s.sector !== null && s.sector !== undefined && s.sector !== '') this.usedSectors.add(String(s.sector));
    const nodes = serviceNodes(this.iris, s, agency ? String(agency.region) : null);
    let out = '';
    for (const n of nodes) out += `,\n${nodeText(n)}`;
    return out;
  }

  tail(): string {
    // byte order, as the services are ordered (SQLite BINARY, PostgreSQL COLLATE "C")
    const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    let out = '';
    for (const code of [...this.usedAgencies].sort(byCode)) {
      const a = this.src.agencies.get(code);
      if (a) out += `,\n${nodeText(agencyNode(this.iris, a))}`;
    }
    for (const sector of [...this.usedSectors].sort(byCode)) out += `,\n${nodeText(sectorNode(this.iris, sector))}`;
    return `${out}\n]}\n`;
  }
}

/**
 * Turns NDJSON lines of service records (records/db-row.ts toJsonText, as every export
 * source gives them) into the CPSV-AP document. Decimals arrive as JSON numbers: at most
 * 15 significant digits (SPEC §1 bounds), which a double and String() carry exactly.
 */
export class CpsvApStream extends Transform {
  private readonly writer: CpsvApWriter;
  private started = false;
  private rest: Buffer = Buffer.alloc(0);

  constructor(src: CpsvApSource) {
    super();
    this.writer = new CpsvApWriter(src);
  }

  private begin(): string {
    if (this.started) return '';
    this.started = true;
    return this.writer.head();
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    try {
      let out = this.begin();
      const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
      let from = 0;
      for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, from)) {
        if (i > from) out += this.writer.service(JSON.parse(buf.toString('utf8', from, i)) as RecordValues);
        from = i + 1;
      }
      this.rest = from < buf.length ? Buffer.from(buf.subarray(from)) : Buffer.alloc(0);
      cb(null, out ? Buffer.from(out, 'utf8') : undefined);
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      let out = this.begin();
      if (this.rest.length) out += this.writer.service(JSON.parse(this.rest.toString('utf8')) as RecordValues);
      cb(null, Buffer.from(out + this.writer.tail(), 'utf8'));
    } catch (err) {
      cb(err as Error);
    }
  }
}
