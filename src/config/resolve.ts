import fs from 'node:fs';
import path from 'node:path';
import { dialectNamed } from '../db/dialect/index.js';
import { UsageError } from '../errors.js';
import { editDistance } from '../text/closest.js';
import { baseIriProblem } from './base-iri.js';
import { timeZoneProblem } from '../time/zone.js';
import { configCandidates, defaultSqlitePath, dataDir } from './paths.js';
import { redactUrl, registerSecret } from './redact.js';
import { parseDbUrl, type Dialect } from './url.js';

// Configuration, highest first (SPEC §5): flags; environment (EGOVCTL_DATABASE_URL, then
// DATABASE_URL; EGOVCTL_TARGET; EGOVCTL_CONFIG); the config file (--config, EGOVCTL_CONFIG,
// else the first of configCandidates()); the embedded default.

export interface ConfigFlags {
  db?: string;
  target?: string;
  allTargets?: boolean;
  config?: string;
}

export interface Target {
  /** the config file's name for it; `embedded` for the default; the redacted URL otherwise */
  name: string;
  /** for connecting: the password from passwordEnv filled in. Never print it. */
  url: string;
  /** safe to show */
  displayUrl: string;
  dialect: Dialect;
  /** sqlite: absolute path of the file */
  file?: string;
  /** pg: database name; sqlite: file name */
  database: string;
  /** where the URL came from: flag --db, env EGOVCTL_DATABASE_URL, config file …, embedded default */
  source: string;
  embedded: boolean;
  passwordEnv?: string;
  /** the registry log's checkpoint origin (SPEC §9); else egovctl/<database> */
  logOrigin?: string;
}

export interface ConfigFile {
  path: string;
  source: string;
  defaultTarget?: string;
  targets: Record<string, { url: string; passwordEnv?: string; logOrigin?: string }>;
  /** where the IRIs of a CPSV-AP export start (SPEC §11); checked by baseIriProblem */
  baseIri?: string;
  /** the registry's time zone (SPEC §10), an IANA name; checked by timeZoneProblem */
  timeZone?: string;
  /** seconds, as the global flags --lock-timeout, --statement-timeout, --idle-timeout (which win) */
  timeouts?: { lock?: number; statement?: number; idle?: number };
}

export interface ResolvedConfig {
  file: ConfigFile | null;
  /** the targets this command runs against, in the order given */
  targets: Target[];
  /** how the targets were chosen, for `config show` */
  selection: string;
  dataDir: string;
}

const TOP_KEYS = ['defaultTarget', 'targets', 'baseIri', 'timeZone', 'timeouts'];
const TIMEOUT_KEYS = ['lock', 'statement', 'idle'] as const;
const TARGET_KEYS = ['url', 'passwordEnv', 'logOrigin'];
/** A checkpoint origin: one line of printable characters, no spaces at its ends (C2SP tlog-checkpoint). */
const LOG_ORIGIN = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads and checks the config file; reports every problem at once (exit 2). */
export function loadConfigFile(file: string, source: string): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`the config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const out: ConfigFile = { path: file, source, targets: {} };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`the config file ${file} must hold a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!TOP_KEYS.includes(key)) problems.push(`unknown key "${key}"${hint(key, TOP_KEYS)}`);
  }
  const base = path.dirname(path.resolve(file));
  if (obj.targets !== undefined) {
    if (typeof obj.targets !== 'object' || obj.targets === null || Array.isArray(obj.targets)) {
      problems.push('"targets" must be an object of named targets');
    } else {
      for (const [name, t] of Object.entries(obj.targets as Record<string, unknown>)) {
        const at = `targets.${name}`;
        if (!TARGET_NAME.test(name)) problems.push(`${at}: a target name may hold letters, digits, "_", "." and "-"`);
        if (typeof t !== 'object' || t === null || Array.isArray(t)) {
          problems.push(`${at} must be an object like {"url": "postgres://…"}`);
          continue;
        }
        const tt = t as Record<string, unknown>;
        for (const key of Object.keys(tt)) {
          if (!TARGET_KEYS.includes(key)) problems.push(`${at}: unknown key "${key}"${hint(key, TARGET_KEYS)}`);
        }
        if (typeof tt.url !== 'string' || !tt.url.trim()) {
          problems.push(`${at}.url is required (postgres://…, postgresql://… or sqlite:<path>)`);
        } else {
          const parsed = parseDbUrl(tt.url, base);
          if (typeof parsed === 'string') problems.push(`${at}.url "${redactUrl(tt.url)}": ${parsed}`);
        }
        if (tt.passwordEnv !== undefined && (typeof tt.passwordEnv !== 'string' || !ENV_NAME.test(tt.passwordEnv))) {
          problems.push(`${at}.passwordEnv must name an environment variable`);
        }
        if (tt.logOrigin !== undefined && (typeof tt.logOrigin !== 'string' || !LOG_ORIGIN.test(tt.logOrigin))) {
          problems.push(`${at}.logOrigin must be one line of text, such as "egov.uz/registry"`);
        }
        if (typeof tt.url === 'string') {
          out.targets[name] = {
            url: tt.url,
            ...(typeof tt.passwordEnv === 'string' ? { passwordEnv: tt.passwordEnv } : {}),
            ...(typeof tt.logOrigin === 'string' && LOG_ORIGIN.test(tt.logOrigin) ? { logOrigin: tt.logOrigin } : {}),
          };
        }
      }
    }
  }
  if (obj.defaultTarget !== undefined) {
    if (typeof obj.defaultTarget !== 'string') problems.push('"defaultTarget" must be the name of a target');
    else if (!(obj.defaultTarget in out.targets) && obj.targets !== undefined && !problems.some((p) => p.startsWith(`targets.${obj.defaultTarget}`))) {
      problems.push(`"defaultTarget" names "${obj.defaultTarget}", which is not in "targets"`);
    } else if (obj.targets === undefined) problems.push(`"defaultTarget" names "${obj.defaultTarget}", but there are no "targets"`);
    else out.defaultTarget = obj.defaultTarget;
  }
  if (obj.baseIri !== undefined) {
    const problem = baseIriProblem(obj.baseIri);
    if (problem) problems.push(`"baseIri" ${problem}`);
    else out.baseIri = obj.baseIri as string;
  }
  if (obj.timeouts !== undefined) {
    const t = obj.timeouts;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) problems.push('"timeouts" must be an object like {"lock": 60, "statement": 0, "idle": 600} (seconds)');
    else {
      const got: { lock?: number; statement?: number; idle?: number } = {};
      for (const [key, v] of Object.entries(t as Record<string, unknown>)) {
        if (!(TIMEOUT_KEYS as readonly string[]).includes(key)) problems.push(`timeouts: unknown key "${key}"${hint(key, [...TIMEOUT_KEYS])}`);
        else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2_147_483) problems.push(`timeouts.${key} must be a whole number of seconds, 0 or more (0: no limit)`);
        else got[key as (typeof TIMEOUT_KEYS)[number]] = v;
      }
      out.timeouts = got;
    }
  }
  if (obj.timeZone !== undefined) {
    const problem = timeZoneProblem(obj.timeZone);
    if (problem) problems.push(`"timeZone" ${problem}`);
    else out.timeZone = obj.timeZone as string;
  }
  if (problems.length) {
    throw new UsageError(`the config file ${file} has ${problems.length} problem${problems.length > 1 ? 's' : ''}:`, {
      details: problems.map((p) => `- ${p}`),
    });
  }
  return out;
}

function hint(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const near = known.find((k) => k.toLowerCase() === lower || editDistance(k.toLowerCase(), lower) <= 2);
  return near ? ` (did you mean "${near}"?)` : ` (known keys: ${known.join(', ')})`;
}

function fromUrl(url: string, source: string, base: string, name?: string, passwordEnv?: string, env?: NodeJS.ProcessEnv): Target {
  const parsed = parseDbUrl(url, base);
  if (typeof parsed === 'string') throw new UsageError(`${source}: "${redactUrl(url)}": ${parsed}`);
  // the password in the URL, or from passwordEnv, as the dialect's URLs hold it (db/dialect/)
  const pw = passwordEnv ? env?.[passwordEnv] : undefined;
  const { url: full, secrets } = dialectNamed(parsed.dialect).connection.credentials(parsed.url, pw || undefined);
  for (const s of secrets) registerSecret(s);
  const displayUrl = redactUrl(parsed.url);
  return {
    name: name ?? displayUrl,
    url: full,
    displayUrl,
    dialect: parsed.dialect,
    ...(parsed.file ? { file: parsed.file } : {}),
    database: parsed.database,
    source,
    embedded: false,
    ...(passwordEnv ? { passwordEnv } : {}),
  };
}

export function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedConfig {
  let file: ConfigFile | null = null;
  if (flags.config) file = loadConfigFile(path.resolve(cwd, flags.config), 'flag --config');
  else if (env.EGOVCTL_CONFIG) file = loadConfigFile(path.resolve(cwd, env.EGOVCTL_CONFIG), 'env EGOVCTL_CONFIG');
  else {
    const found = configCandidates(env, cwd).find((c) => fs.existsSync(c.path));
    if (found) file = loadConfigFile(found.path, found.source);
  }
  const fileBase = file ? path.dirname(file.path) : cwd;

  const named = (names: string[], source: string): Target[] => {
    if (!file || Object.keys(file.targets).length === 0) {
      throw new UsageError(`${source} names target${names.length > 1 ? 's' : ''} ${names.join(', ')}, but no config file defines targets`, {
        details: [`- define them in a config file: ${configCandidates(env, cwd).map((c) => c.path).join(', ')}, or pass --config <path> or EGOVCTL_CONFIG`],
      });
    }
    const unknown = names.filter((n) => !(n in file!.targets));
    if (unknown.length) {
      throw new UsageError(`unknown target${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (${source}); the config file ${file.path} defines: ${Object.keys(file.targets).join(', ')}`);
    }
    return names.map((n) => {
      const t = file!.targets[n]!;
      return { ...fromUrl(t.url, `config file ${file!.path}, target ${n}`, fileBase, n, t.passwordEnv, env), ...(t.logOrigin ? { logOrigin: t.logOrigin } : {}) };
    });
  };
  const list = (s: string) => [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))];

  const chosen = [flags.db !== undefined && '--db', flags.target !== undefined && '--target', flags.allTargets && '--all-targets'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot be used together: each chooses the database`);

  let targets: Target[];
  let selection: string;
  if (flags.db !== undefined) {
    targets = [fromUrl(flags.db, 'flag --db', cwd)];
    selection = 'flag --db';
  } else if (flags.target !== undefined) {
    const names = list(flags.target);
    if (!names.length) throw new UsageError('--target needs a target name');
    targets = named(names, 'flag --target');
    selection = 'flag --target';
  } else if (flags.allTargets) {
    if (!file || Object.keys(file.targets).length === 0) throw new UsageError('--all-targets: no config file defines targets');
    targets = named(Object.keys(file.targets), 'flag --all-targets');
    selection = 'flag --all-targets';
  } else if (env.EGOVCTL_DATABASE_URL) {
    targets = [fromUrl(env.EGOVCTL_DATABASE_URL, 'env EGOVCTL_DATABASE_URL', cwd)];
    selection = 'env EGOVCTL_DATABASE_URL';
  } else if (env.DATABASE_URL) {
    targets = [fromUrl(env.DATABASE_URL, 'env DATABASE_URL', cwd)];
    selection = 'env DATABASE_URL';
  } else if (env.EGOVCTL_TARGET) {
    targets = named(list(env.EGOVCTL_TARGET), 'env EGOVCTL_TARGET');
    selection = 'env EGOVCTL_TARGET';
  } else if (file?.defaultTarget) {
    targets = named([file.defaultTarget], `config file ${file.path}, defaultTarget`);
    selection = `config file defaultTarget`;
  } else {
    const sqlite = defaultSqlitePath(env);
    targets = [{
      name: 'embedded',
      url: `sqlite:${sqlite}`,
      displayUrl: `sqlite:${sqlite}`,
      dialect: 'sqlite',
      file: sqlite,
      database: path.basename(sqlite),
      source: 'embedded default',
      embedded: true,
    }];
    selection = 'embedded default';
  }
  return { file, targets, selection, dataDir: dataDir(env) };
}
