import crypto from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A database of this test file's own, dropped by the returned function. */
export async function createTestDatabase(prefix = 'egovctl_t'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const admin = inject('pgAdminUrl');
  const name = `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function pgAdminUrl(): string {
  return inject('pgAdminUrl');
}
