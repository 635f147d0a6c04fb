import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../src/errors.js';
import { renderIssues } from '../src/output/issues-view.js';
import { writeJson } from '../src/output/json.js';
import type { Issue } from '../src/records/issues.js';
import type { EntityName } from '../src/records/fields.js';
import type { History } from '../src/registry/log-history.js';
import { renderTable } from '../src/output/table.js';
import type { LogVerifyReport } from '../src/registry/log/verify-log.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { logEntityOption, maxIssuesOption, nonNegativeInt, outOption } from './options.js';
import { runOnDb } from './run.js';

// The log's code loads when one of these commands runs, not at start-up (`egovctl --help`
// and every other command do without it).

// The registry log's commands that need no database: make a signing key; verify a log file
// with its checkpoints and an export, as a third party does on a machine of their own.

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerRegistryLog(registry: Command, bind: Bind): void {
  registry
    .command('keygen')
    .description('make an Ed25519 signing key for checkpoints (Go sumdb/note format); print its verifier key')
    .requiredOption('--name <name>', 'the key name, usually the log origin (no spaces, no "+")')
    .requiredOption('--out <file>', 'where to write the private key (mode 0600)')
    .option('--force', 'replace an existing file (its key is lost)')
    .addHelpText('after', [
      '',
      'The private key file holds PRIVATE+KEY+<name>+<hash>+<base64>; keep it secret. The verifier',
      'key printed on standard output, <name>+<hash>+<base64>, is what you publish: anyone checks',
      'your checkpoints with it (egovctl registry verify --key, or any Go sumdb/note verifier).',
      'With --json: {"name", "verifier_key", "out"}.',
      '',
      'Examples:',
      '  egovctl registry keygen --name egov.uz/registry --out /etc/egovctl/log.key',
      '  egovctl registry keygen --name egov.uz/registry --out log.key --json',
    ].join('\n'))
    .action(bind(keygen));

  registry
    .command('verify')
    .description('check the registry log: in the database, or a log file with its checkpoints and an export (no database)')
    .option('--log <file>', 'check this log file, with no database (registry log --out)')
    .option('--checkpoint <file>', 'a checkpoint (signed note) to check against the log (repeatable)', collect)
    .option('--key <verifier key>', 'a verifier key <name>+<hash>+<base64>, or a file holding one (repeatable)', collect)
    .option('--snapshot <export>', 'an NDJSON (or JSON) export that must be exactly the log\'s snapshot')
    .addOption(logEntityOption('the entity of --snapshot'))
    .addOption(maxIssuesOption())
    .addHelpText('after', [
      '',
      'Checks that entry numbers run 1, 2, 3… without gaps (log-gap); every item hashes to its',
      'entry\'s hash (item-mismatch); every line is canonical (malformed-record); each checkpoint\'s',
      'root equals the log\'s root at its size (root-mismatch) and, with --key, that its signature',
      'verifies (bad-signature); with --snapshot, that the export holds exactly the latest version',
      'of each record (log-drift, naming the key and field). The report is the JSON of validate.',
      'Without --log it checks the target\'s database the same way: the stored log, every stored tree',
      'head (root-mismatch), and that the agencies and services tables hold exactly the log\'s',
      'snapshot (log-drift: a row changed, inserted or deleted behind the tool\'s back).',
      'Exit 0 when it verifies, 3 when it does not, 2 for a usage error.',
      '',
      'Examples:',
      '  egovctl registry verify',
      '  egovctl --target central registry verify --checkpoint checkpoint.txt --key log.pub --json',
      '  egovctl registry verify --log registry.log --checkpoint checkpoint.txt --key "egov.uz/registry+1a2b3c4d+AXu…"',
      '  egovctl registry verify --log registry.log --snapshot services.ndjson --entity services --json',
    ].join('\n'))
    .action(bind(verify));

  registry
    .command('checkpoint')
    .description('print the registry log\'s current head as a C2SP checkpoint note, signed with --sign-key')
    .option('--sign-key <file>', 'a private key of registry keygen: sign the note (Ed25519, Go sumdb/note format)')
    .addHelpText('after', [
      '',
      'Prints <origin>\\n<size>\\n<base64 root>\\n (then, signed, a blank line and "— <name> <signature>").',
      'The origin is the target\'s "logOrigin" in the config file, else egovctl/<database>.',
      'Publish each checkpoint (a web page, a mailing list): a later log must contain it as a prefix.',
      'With --json: {"origin", "size", "root", "signed", "note"}.',
      '',
      'Examples:',
      '  egovctl registry checkpoint',
      '  egovctl --target central registry checkpoint --sign-key /etc/egovctl/log.key > /srv/open-data/checkpoint.txt',
    ].join('\n'))
    .action(bind(checkpoint));

  registry
    .command('log')
    .description('write the registry log file: one line per entry, entry bytes TAB item bytes')
    .option('--from <n>', 'the first entry (default 1)', positiveInt('--from'))
    .option('--to <m>', 'the last entry (default the last)', positiveInt('--to'))
    .addOption(outOption('write to this file, atomically (default standard output)'))
    .option('--manifest', 'also write <out>.manifest.json: entries, size and root (base64), bytes, sha256')
    .addHelpText('after', [
      '',
      'The file is what `registry verify --log` checks on any machine, with no database.',
      '',
      'Examples:',
      '  egovctl registry log --out /srv/open-data/registry.log --manifest',
      '  egovctl registry log --from 1001 --to 2000 > part.log',
    ].join('\n'))
    .action(bind(logFile));

  registerRegistryHistory(registry, bind);

  registry
    .command('prove [code]')
    .description('an inclusion proof of a record\'s latest entry, or (--from-size) a consistency proof')
    .addOption(logEntityOption('the entity of the code'))
    .option('--size <n>', 'the tree size to prove against (default the current head)', positiveInt('--size'))
    .option('--from-size <m>', 'prove that the tree of size M is a prefix of the tree of --size', nonNegativeInt('--from-size'))
    .addHelpText('after', [
      '',
      'Inclusion (RFC 6962 §2.1.1): {"size", "root", "index", "entry", "proof"} — index the 0-based leaf',
      'of the code\'s latest entry within the first N entries, entry its bytes, proof the audit path,',
      'bottom up, base64. Consistency (§2.1.2): {"old_size", "old_root", "size", "root", "proof"}.',
      'Always JSON. A code with no entry is exit 3.',
      '',
      'Examples:',
      '  egovctl registry prove BIZ-0001',
      '  egovctl registry prove DXM --entity agencies --size 1200',
      '  egovctl registry prove --from-size 1000 --size 2000',
    ].join('\n'))
    .action(bind(prove));
}

async function prove(ctx: Ctx, code: string | undefined, o: { entity: EntityName; size?: number; fromSize?: number }): Promise<number> {
  const { proveConsistency, proveInclusion } = await import('../src/registry/log-prove.js');
  if ((code === undefined) === (o.fromSize === undefined)) throw new UsageError('give a code (an inclusion proof) or --from-size <m> (a consistency proof), not both');
  const target = ctx.singleTarget();
  const r = await runOnDb(ctx, target, async (db) => ({
    result: code !== undefined ? await proveInclusion(db, o.entity, code, o.size) : await proveConsistency(db, o.fromSize!, o.size),
  }), { schema: true });
  writeJson(ctx.stdout, r);
  ctx.reported = true;
  return 0;
}

function registerRegistryHistory(registry: Command, bind: Bind): void {
  registry
    .command('history <code>')
    .description('every version of a record in the registry log, oldest first, with what changed')
    .addOption(logEntityOption('the entity of the code'))
    .addHelpText('after', [
      '',
      'Each entry: number, timestamp, actor (user@host, or migration), op (put or delete), and the',
      'fields whose value differs from the version before (from → to). An unknown code is exit 3.',
      'With --json: {"entity", "key", "versions": [{"number", "timestamp", "actor", "op", "item", "changes": [{"field", "from", "to"}]}]}.',
      '',
      'Examples:',
      '  egovctl registry history BIZ-0001',
      '  egovctl registry history DXM --entity agencies --json',
    ].join('\n'))
    .action(bind(history));
}

async function history(ctx: Ctx, code: string, o: { entity: EntityName }): Promise<number> {
  const { recordHistory } = await import('../src/registry/log-history.js');
  const target = ctx.singleTarget();
  const r = await runOnDb(ctx, target, async (db) => ({ result: await recordHistory(db, o.entity, code) }), { schema: true });
  if (ctx.opts.json) writeJson(ctx.stdout, r);
  else presentHistory(ctx, r);
  return 0;
}

function presentHistory(ctx: Ctx, h: History): void {
  const show = (v: unknown) => (v === null ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
  const rows = h.versions.map((v) => [
    v.number, v.timestamp, v.actor, v.op,
    v.op === 'delete' ? 'deleted' : v.changes.filter((c) => c.field !== 'updated_at').map((c) => `${c.field}: ${show(c.from)} → ${show(c.to)}`).join('; ') || '(no field changed)',
  ]);
  ctx.stdout.write(`${renderTable(['entry', 'timestamp', 'actor', 'op', 'changes'], rows)}\n`);
  ctx.logger.info(`${h.versions.length} version${h.versions.length === 1 ? '' : 's'} of ${h.entity} ${h.key}`);
}

function positiveInt(flag: string) {
  return (v: string): number => {
    if (!/^[1-9][0-9]*$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`${flag}: "${v}" is not a whole number of 1 or more`);
    return Number(v);
  };
}

async function checkpoint(ctx: Ctx, o: { signKey?: string }): Promise<number> {
  const { readSignerKeyFile } = await import('../src/registry/log/key-file.js');
  const { currentCheckpoint } = await import('../src/registry/log-publish.js');
  const { checkpointAudit } = await import('../src/registry/audit-link.js');
  const signer = o.signKey ? readSignerKeyFile(readable(ctx, '--sign-key', o.signKey)) : null;
  const target = ctx.singleTarget();
  const r = await runOnDb(ctx, target, async (db) => ({ result: await currentCheckpoint(db, { signer, audit: await checkpointAudit(db) }) }), { schema: true });
  if (ctx.opts.json) writeJson(ctx.stdout, r);
  else ctx.stdout.write(r.note);
  return 0;
}

async function logFile(ctx: Ctx, o: { from?: number; to?: number; out?: string; manifest?: boolean }): Promise<number> {
  const { exportLog } = await import('../src/registry/log-publish.js');
  if (o.manifest && !o.out) throw new UsageError('--manifest needs --out <path>: a manifest describes a file');
  const target = ctx.singleTarget();
  const out = o.out ? path.resolve(ctx.cwd, o.out) : null;
  const r = await runOnDb(ctx, target, async (db) => {
    const res = await exportLog(db, { from: o.from, to: o.to, out, manifest: !!o.manifest }, ctx.stdout);
    return { result: res, counts: { entries: res.entries } };
  }, { schema: true });
  if (out) {
    if (ctx.opts.json) writeJson(ctx.stdout, r);
    else ctx.logger.info(`${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} written to ${r.out} (size ${r.size}, root ${r.root})`);
  }
  return 0;
}

async function keygen(ctx: Ctx, o: { name: string; out: string; force?: boolean }): Promise<number> {
  const { writeNewKey } = await import('../src/registry/log/key-file.js');
  const out = path.resolve(ctx.cwd, o.out);
  const r = writeNewKey(o.name, out, !!o.force);
  if (ctx.opts.json) writeJson(ctx.stdout, r);
  else {
    ctx.stdout.write(`${r.verifier_key}\n`);
    ctx.logger.info(`private key written to ${out} (mode 0600): keep it secret. Publish the verifier key above.`);
  }
  return 0;
}

interface VerifyFlags {
  log?: string;
  checkpoint?: string[];
  key?: string[];
  snapshot?: string;
  entity: EntityName;
  maxIssues: number;
}

function readable(ctx: Ctx, flag: string, file: string): string {
  const p = path.resolve(ctx.cwd, file);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new UsageError(`${flag} ${file}: no such file`);
  }
  if (!st.isFile()) throw new UsageError(`${flag} ${file}: not a file`);
  try {
    fs.accessSync(p, fs.constants.R_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: permission denied`);
  }
  return p;
}

async function verify(ctx: Ctx, o: VerifyFlags): Promise<number> {
  const { readVerifierKey } = await import('../src/registry/log/key-file.js');
  const { verifyLog } = await import('../src/registry/log/verify-log.js');
  const keys = (o.key ?? []).map((k) => readVerifierKey(k));
  const checkpoints = (o.checkpoint ?? []).map((f) => ({ file: f, bytes: fs.readFileSync(readable(ctx, '--checkpoint', f)) }));
  if (o.log === undefined) {
    if (o.snapshot) throw new UsageError('--snapshot goes with --log: against the database, the tables are the snapshot checked');
    const target = ctx.singleTarget();
    const r = await runOnDb(ctx, target, async (db) => {
      const { verifyDatabase } = await import('../src/registry/verify-db.js');
      const { auditChainCheck } = await import('../src/registry/audit-link.js');
      const res = await verifyDatabase(db, { checkpoints, keys, maxIssues: o.maxIssues, extraChecks: auditChainCheck(db, checkpoints) });
      return { result: res, counts: { entries: res.size, errors: res.errors } };
    }, { schema: true });
    if (ctx.opts.json) {
      writeJson(ctx.stdout, r);
      ctx.reported = true;
    } else present(ctx, r, keys.length > 0);
    return r.valid ? 0 : 3;
  }
  const log = readable(ctx, '--log', o.log);
  const snapshot = o.snapshot ? { file: readable(ctx, '--snapshot', o.snapshot), entity: o.entity } : null;
  const r = await verifyLog({ log, checkpoints, keys, snapshot, maxIssues: o.maxIssues });
  r.source = o.log;
  if (r.snapshot) r.snapshot.source = o.snapshot!;
  if (ctx.opts.json) {
    writeJson(ctx.stdout, r);
    ctx.reported = true;
  } else present(ctx, r, keys.length > 0);
  return r.valid ? 0 : 3;
}

function present(ctx: Ctx, r: LogVerifyReport, keyed: boolean): void {
  const p = ctx.paint;
  const lines: string[] = [`${'tables' in r ? 'target ' : 'log '}${r.source}: ${r.size} entr${r.size === 1 ? 'y' : 'ies'}, root ${r.root}`];
  for (const c of r.checkpoints) {
    if (c.size === null) continue;
    const sig = c.signature === 'verified' ? `signed by ${c.signed_by.join(', ')}` : c.signature === 'not-checked' ? 'signature not checked (no --key)' : 'signature bad';
    const root = c.root_matches === null ? '' : c.root_matches ? p.green('root matches') : p.red('root differs');
    lines.push(`checkpoint ${c.file}: ${c.origin}, size ${c.size}; ${sig}; ${root}`);
  }
  if (r.snapshot) lines.push(`snapshot ${r.snapshot.source}: ${r.snapshot.records} ${r.snapshot.entity}`);
  ctx.stdout.write(`${lines.join('\n')}\n`);
  const table = renderIssues(r.issues as unknown as Issue[], p);
  if (table) ctx.stdout.write(`${table}\n`);
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  ctx.logger.info(`${r.records} ${r.records === 1 ? 'entry' : 'entries'}: ${r.errors ? p.red(n(r.errors, 'error')) : n(0, 'error')}${r.truncated ? ` (showing the first ${r.issues.length}; --max-issues to see more)` : ''}`);
  if (r.valid) {
    ctx.stdout.write(`${p.green('verified')}${r.checkpoints.length && !keyed ? ' (checkpoint signatures not checked: give --key)' : ''}\n`);
  } else ctx.stdout.write(`${p.red('NOT verified')}: ${r.errors} error${r.errors === 1 ? '' : 's'}\n`);
}
