import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { scratch } from '../helpers/cli.js';
import { agency, openTestDb, service, writeFile, AGENCY_HEADER, SERVICE_HEADER, type Dialect, type TestDb } from '../fixtures/import/setup.js';
import { runCli } from '../helpers/cli.js';
import { startCli, Tally, trials } from '../faults/trial.js';

// Issue 12, item 1. An interrupt before COMMIT is sent rolls back — the running statement
// is cancelled, so the wait is short — and exits 130/143 with the audit row 'interrupted';
// after COMMIT it is too late: the import is committed, exit 0, standard error says so, and
// the audit row says ok. Each phase boundary of an import is reached with the test hook
// EGOVCTL_TEST_PAUSE_AT (on PostgreSQL the pause is a statement on the import's own
// connection, so the interrupt has to cancel it); the random-moment trials below use no
// hook at all. FAULT_TRIALS=n (npm run test:faults) runs each case n times.

const N_BASE = 3000;
const PAUSE_MS = 20_000;
const BOUND_MS = 10_000; // from the signal to the end, far below the pause

interface Snap {
  services: Array<{ code: string; name_uz: string; updated_at: unknown }>;
  fks: number;
}

describe.each<Dialect>(['pg', 'sqlite'])('interrupts at each phase of an import on %s', (dialect) => {
  let t: TestDb;
  let home: ReturnType<typeof scratch>;
  let base: string;
  let next: string;
  const tally = new Tally(`interrupt phases on ${dialect}`);

  beforeAll(async () => {
    t = await openTestDb(dialect);
    home = scratch();
    writeFile(home.dir, 'agencies.csv', [AGENCY_HEADER, agency('AG1')]);
    const code = (i: number) => `S-${String(i).padStart(5, '0')}`;
    base = writeFile(home.dir, 'base.csv', [SERVICE_HEADER, ...Array.from({ length: N_BASE }, (_, i) => service(code(i), 'AG1', { description: 'x'.repeat(100) }))]);
    // replace: keeps 2/3 (a third of them changed), deletes 1/3, adds 500
    next = writeFile(home.dir, 'next.csv', [SERVICE_HEADER, ...Array.from({ length: N_BASE * 2 / 3 + 500 }, (_, i) => service(code(i < 2000 ? i : N_BASE + i), 'AG1', { name: i % 3 ? undefined : `Yangi ${i}`, description: 'y'.repeat(100) }))]);
    expect((await cli(['import', 'agencies', path.join(home.dir, 'agencies.csv')])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    tally.print();
    await t?.close();
    home?.cleanup();
  });

  const cli = (args: string[]) => runCli(['--db', t.url, ...args], { env: home.env });
  const snap = async (): Promise<Snap> => ({
    services: await t.db.knex('services').select('code', 'name_uz', 'updated_at').orderBy('code'),
    fks: dialect === 'pg' ? Number((await t.db.knex.raw(`select count(*) as n from pg_constraint where conrelid = 'services'::regclass and contype = 'f'`)).rows[0].n) : 0,
  });
  const lastAudit = async () => t.db.knex('audit_log').orderBy('id', 'desc').first();
  const auditCount = async () => Number(((await t.db.knex('audit_log').count({ n: '*' }))[0] as { n: number | string }).n);

  async function setState(kind: 'empty' | 'base'): Promise<void> {
    if (kind === 'empty') await t.db.knex('services').del();
    else expect((await cli(['import', 'services', base, '--mode', 'replace', '--yes', '--no-backup'])).code).toBe(0);
  }

  /** one trial: pause at `phase`, signal, check the truth of what it says */
  async function trial(kind: 'empty' | 'base', args: string[], phase: string, signal: NodeJS.Signals): Promise<void> {
    const late = phase === 'after-commit';
    const before = await snap();
    const audits = await auditCount();
    const env = { ...home.env, EGOVCTL_TEST_PAUSE_AT: phase, EGOVCTL_TEST_PAUSE_MS: String(late ? 1500 : PAUSE_MS) };
    const p = startCli(['--db', t.url, 'import', 'services', ...args], env);
    const reached = await p.waitFor(`test pause: ${phase}`);
    p.send(signal);
    const r = await p.ended(BOUND_MS + (late ? 2000 : 0));
    const after = await snap();
    const row = await lastAudit();
    const why = `${phase}/${signal}: exit ${r.code}${r.hung ? ' (hung)' : ''}`;
    try {
      expect(reached, r.stderr).toBe(true);
      expect(r.hung, r.stderr).toBe(false);
      expect(await auditCount()).toBe(audits + 1);
      if (late) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(new RegExp(`interrupt \\(${signal}\\) came after COMMIT was sent`));
        expect(r.stderr).not.toContain('rolled back');
        expect(after.services).not.toEqual(before.services);
        expect(row).toMatchObject({ outcome: 'ok', exit_code: 0 });
        await setState(kind);
      } else {
        expect(r.code, r.stderr).toBe(signal === 'SIGTERM' ? 143 : 130);
        expect(r.stderr).toContain(`interrupted by ${signal}; what was in progress was rolled back`);
        expect(after).toEqual(before);
        expect(row).toMatchObject({ outcome: 'interrupted', exit_code: signal === 'SIGTERM' ? 143 : 130 });
      }
      tally.record(true, why);
    } catch (err) {
      tally.record(false, why);
      throw err;
    }
  }

  const firstLoadPhases = dialect === 'pg' ? ['read', 'fk', 'commit', 'after-commit'] : ['read', 'checks', 'merge', 'commit', 'after-commit'];
  test.each(firstLoadPhases)('first load, interrupted at %s', async (phase) => {
    await setState('empty');
    for (let i = 0; i < trials(1); i++) await trial('empty', [base], phase, i % 2 ? 'SIGTERM' : 'SIGINT');
    if (dialect === 'pg') expect((await snap()).fks).toBe(1); // the foreign key dropped for the load is back
  }, 120_000);

  test.each(['read', 'checks', 'delete', 'merge', 'commit', 'after-commit'])('replace, interrupted at %s', async (phase) => {
    await setState('base');
    for (let i = 0; i < trials(1); i++) await trial('base', [next, '--mode', 'replace', '--yes', '--backup', path.join(home.dir, `b-${phase}-${i}.csv`)], phase, i % 2 ? 'SIGINT' : 'SIGTERM');
  }, 120_000);

  test('replace interrupted at a random moment (no hook): the outcome said is the outcome stored', async () => {
    await setState('base');
    const random = new Tally(`random-moment replace on ${dialect}`);
    let exitRace = 0;
    // how long an uninterrupted run takes, to spread the signals over it
    const t0 = Date.now();
    expect((await cli(['import', 'services', next, '--mode', 'replace', '--yes', '--no-backup'])).code).toBe(0);
    const full = Date.now() - t0;
    const doneSnap = await snap();
    await setState('base');
    for (let i = 0; i < trials(3); i++) {
      const signal: NodeJS.Signals = i % 2 ? 'SIGTERM' : 'SIGINT';
      const audits = await auditCount();
      const baseSnap = await snap();
      const p = startCli(['--db', t.url, '-v', 'import', 'services', next, '--mode', 'replace', '--yes', '--no-backup'], home.env);
      // from the moment the handlers are in place (the first debug line) to about the end
      await p.waitFor('import: reading');
      await new Promise((r) => setTimeout(r, Math.floor(((i * 7919) % 100) / 100 * full)));
      const sent = p.send(signal);
      const r = await p.ended(BOUND_MS + full);
      const s = await snap();
      const row = await lastAudit();
      let ok: boolean;
      if (r.code === 0) {
        // committed: all of it, said so, audit ok (a signal after the process ended says nothing)
        ok = sameCodes(s, doneSnap) && row?.outcome === 'ok' && (await auditCount()) === audits + 1 && !r.stderr.includes('rolled back');
        await setState('base');
      } else if (r.code === null && r.signal === signal) {
        // Ended by the signal's default action: only possible once the run had ended and
        // Node was tearing its signal handlers down on the way out (a window of moments
        // after the report). Held when what is stored and audited is the committed run;
        // counted apart in the figures.
        ok = sameCodes(s, doneSnap) && row?.outcome === 'ok' && (await auditCount()) === audits + 1;
        exitRace++;
        await setState('base');
      } else {
        ok = sent && r.code === (signal === 'SIGTERM' ? 143 : 130) && JSON.stringify(s) === JSON.stringify(baseSnap) && row?.outcome === 'interrupted' && (await auditCount()) === audits + 1;
      }
      random.record(ok && !r.hung, `trial ${i} ${signal}: exit ${r.code}${r.hung ? ' hung' : ''} ${r.stderr.split('\n').filter((l) => !l.startsWith('import')).join(' | ').slice(-300)}`);
      tally.record(ok && !r.hung, `random ${i}`);
    }
    random.print();
    process.stdout.write(`fault figures: random-moment replace on ${dialect}: ${exitRace} ended by the signal during process exit after a committed run\n`);
    expect(random.failed).toEqual([]);
  }, 600_000);
});

function sameCodes(a: Snap, b: Snap): boolean {
  return JSON.stringify(a.services.map((x) => [x.code, x.name_uz])) === JSON.stringify(b.services.map((x) => [x.code, x.name_uz]));
}

// the scratch files of a test are removed with its home; nothing else is left behind
void fs;
