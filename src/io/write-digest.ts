import crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

// Counts and hashes the bytes exactly as they reach the destination (after gzip), so the
// manifest's sha256 is what `sha256sum <file>` prints.

export class DigestStream extends Transform {
  bytes = 0;
  private readonly hash = crypto.createHash('sha256');
  private hex: string | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }

  /** the hex digest; only once every byte has passed */
  sha256(): string {
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }
}
