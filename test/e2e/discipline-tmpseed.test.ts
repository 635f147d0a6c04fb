import { test } from 'vitest';
import path from 'node:path';
import { connect } from '../../src/db/connect.js';
import { latest } from '../../src/db/migrator.js';
import { targetFor } from '../helpers/targets.js';
import { generate, insertGenerated } from '../helpers/applications-gen.js';
import { ROOT } from '../helpers/cli.js';
test('seed', async () => {
  const db = await connect(targetFor(process.env.SEED_URL!));
  await latest(db, { dir: path.join(ROOT, 'dist', 'migrations') });
  await insertGenerated(db.knex, db.dialect, generate(Number(process.env.SEED_N ?? 3000), 16));
  await db.knex.destroy();
});
