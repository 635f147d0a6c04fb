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

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes every known secret and every URL password from a text. A secret is matched as a
 * whole word and never where it is a URL's scheme, so that a password such as "postgres"
 * blanks the password, not every postgres:// in the output.
 */
export function redact(text: string): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):([^@\s]*)@/gi, (_m, head: string) => `${head}:***@`);
  for (const s of secrets) {
    for (const form of new Set([s, encodeURIComponent(s)])) {
      if (!out.includes(form)) continue;
      out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRe(form)}(?![A-Za-z0-9]|:\\/\\/)`, 'g'), '***');
    }
  }
  return out;
}
