// Secrets never appear in output, logs, errors or the audit trail (SPEC §5). Every
// password the tool learns is registered here, and every text leaving the process
// passes through redact().

const secrets = new Set<string>();

export function registerSecret(secret: string | undefined | null): void {
  // One- and two-character "passwords" would redact half the output; still never print them
  // inside a URL (redactUrl handles that), but do not blank them everywhere.
  if (secret && secret.length >= 3) secrets.add(secret);
}

/** Shows a URL with its password as ***. Leaves anything that is not a URL alone. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):([^@\s]*)@/i, (_m, head: string) => `${head}:***@`);
}

/** Removes every known secret and every URL password from a text. */
export function redact(text: string): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):([^@\s]*)@/gi, (_m, head: string) => `${head}:***@`);
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
    const enc = encodeURIComponent(s);
    if (enc !== s && out.includes(enc)) out = out.split(enc).join('***');
  }
  return out;
}
