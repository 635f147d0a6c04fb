import zlib from 'node:zlib';

/** True when the name says gzip (`services.csv.gz`). */
export function isGzipName(file: string): boolean {
  return /\.gz$/i.test(file);
}

/**
 * A gzip stream whose output depends only on its input: Node writes no file name and a
 * zero modification time in the header, so two exports of the same data are byte-identical.
 */
export function createGzipWriter(): zlib.Gzip {
  return zlib.createGzip({ level: 6 });
}
