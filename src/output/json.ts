import { redact } from '../config/redact.js';

/** One JSON document on standard output, secrets redacted. */
export function writeJson(stream: NodeJS.WritableStream, doc: unknown): void {
  stream.write(`${redact(JSON.stringify(doc, null, 2))}\n`);
}
