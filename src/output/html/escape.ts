// Every value from the data reaches a page through escape(): a name holding `<script>` or
// `"><img onerror=…>` must show as text, in element content and in attribute values alike
// (the single quote too, so an attribute may be quoted either way).

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A piece of HTML made here, not from the data: passes through html`` unescaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function raw(text: string): Html {
  return new Html(text);
}

type Part = Html | string | number | null | undefined | boolean | readonly Part[];

function render(p: Part): string {
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return p.map(render).join('');
  if (p === null || p === undefined || p === false || p === true) return '';
  return escape(p);
}

/**
 * A template tag: interpolated values are escaped unless they are Html, so a page is built
 * from trusted markup and escaped data without any string left to escape by hand.
 */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

const ELLIPSIS = '…';

/**
 * A value as a cell: short ones as they are, long ones cut with an ellipsis and shown in
 * full in a details element (a phone has no hover) and in the title (a mouse has).
 */
export function cut(value: string | null | undefined, max = 80): Html {
  if (value === null || value === undefined || value === '') return raw('<span class="none">—</span>');
  // UTF-16 units ≥ characters: a value that short needs no counting
  if (value.length <= max) return new Html(escape(value));
  const chars = Array.from(value);
  if (chars.length <= max) return new Html(escape(value));
  const short = chars.slice(0, max - 1).join('') + ELLIPSIS;
  return html`<details class="long"><summary title="${value}">${short}</summary><div class="full">${value}</div></details>`;
}

/** An ISO 8601 instant as a person reads it (`2026-12-01 21:44:08 UTC`), the exact value kept in datetime. */
export function when(iso: string): Html {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return html`<time datetime="${iso}">${m ? `${m[1]} ${m[2]} UTC` : iso}</time>`;
}
