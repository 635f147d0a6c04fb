import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, type Target } from '../../src/config/resolve.js';

/** A Target for a URL, as the tool would resolve it from --db. */
export function targetFor(url: string): Target {
  return resolveConfig({ db: url }, {}, process.cwd()).targets[0]!;
}

/** A fresh SQLite file in a temporary directory. */
export function tempSqlite(): { url: string; file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-sqlite-'));
  const file = path.join(dir, 'test.sqlite');
  return { url: `sqlite:${file}`, file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
