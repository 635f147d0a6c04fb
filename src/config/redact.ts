// Secrets never appear in output, logs, errors or the audit trail (SPEC §5). Every
// password the tool learns is registered here, and every text leaving the process
// passes through redact().
//
// The forms a password takes in a connection string, as libpq and node-postgres read them:
// - userinfo, `postgres://user:pass@host/db`. The userinfo ends at the LAST "@" of the
//   authority (WHATWG URL, which pg-connection-string uses: an "@" inside the password is
//   the password's), and the authority ends at the first "/", "?" or "#".
// - the `password=` and `sslpassword=` parameters (URL query or libpq key=value form).
// - `passfile=` names a file; the tool never reads it, so its contents cannot be shown.
//
// Everything here is one forward scan (no regex that backtracks over a long run of
// letters: the old one took 134 s on a 512 KB value).

const secrets = new Set<string>();

export function registerSecret(secret: string | undefined | null): void {
  // One- and two-character "passwords" would redact half the output; still never print them
  // inside a URL (the structural redaction handles that), but do not blank them everywhere.
  if (secret && secret.length >= 3) secrets.add(secret);
}

/** the secrets registered so far (tests; never print them) */
export function registeredSecrets(): ReadonlySet<string> {
  return secrets;
}

const AUTHORITY_END = new Set(['/', '?', '#', ' ', '\t', '\n', '\r', '"', "'", '<', '>', '`']);

/** `scheme://user:pass@host` → `scheme://user:***@host`, for every "://" in the text. */
function redactUserinfo(text: string): string {
  if (!text.includes('://')) return text;
  let out = '';
  let from = 0; // text before `from` is already in out
  let at = text.indexOf('://');
  while (at !== -1) {
    const start = at + 3;
    let end = start;
    let lastAt = -1;
    let colon = -1;
    while (end < text.length && !AUTHORITY_END.has(text[end]!)) {
      const c = text[end]!;
      if (c === '@') lastAt = end;
      else if (c === ':' && colon === -1) colon = end;
      end++;
    }
    // the user's ":" comes before the last "@" (a ":" after it is the port's)
    if (lastAt !== -1 && colon !== -1 && colon < lastAt && !(colon === lastAt - 4 && text.startsWith(':***', colon))) {
      out += text.slice(from, colon + 1) + '***';
      from = lastAt;
    }
    at = text.indexOf('://', Math.max(end, start));
  }
  return out + text.slice(from);
}

/** `password=…` and `sslpassword=…` (query parameter or key=value), value → ***. */
const PASSWORD_PARAM = /(^|[^A-Za-z0-9_])((?:ssl)?password)(\s*=\s*)('(?:[^'\\]|\\.)*'?|[^&\s#'"]*)/gi;

function redactParams(text: string): string {
  if (!/password/i.test(text)) return text;
  return text.replace(PASSWORD_PARAM, (_m, pre: string, key: string, eq: string, value: string) => (value === '' || value === '***' ? `${pre}${key}${eq}${value}` : `${pre}${key}${eq}***`));
}

/** Shows a connection string with its passwords as ***. */
export function redactUrl(url: string): string {
  return redactParams(redactUserinfo(url));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes every known secret and every URL password from a text. A secret is matched as a
 * whole word and never where it is a URL's scheme, so that a password such as "postgres"
 * blanks the password, not every postgres:// in the output.
 */
export function redact(text: string): string {
  let out = redactUrl(text);
  for (const s of secrets) {
    for (const form of new Set([s, encodeURIComponent(s)])) {
      if (!out.includes(form)) continue;
      out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRe(form)}(?![A-Za-z0-9]|:\\/\\/)`, 'g'), '***');
    }
  }
  return out;
}
