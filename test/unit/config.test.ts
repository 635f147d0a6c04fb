import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { configCandidates } from '../../src/config/paths.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { redact, redactUrl, registerSecret } from '../../src/config/redact.js';
import { UsageError } from '../../src/errors.js';

const dirs: string[] = [];
function dirWith(config?: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-cfg-'));
  dirs.push(dir);
  if (config !== undefined) fs.writeFileSync(path.join(dir, 'egovctl.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const file = { defaultTarget: 'central', targets: { central: { url: 'postgres://egov@db1/registry', passwordEnv: 'CENTRAL_PGPASSWORD' }, local: { url: 'sqlite:data/x.sqlite' } } };

describe('precedence: flags > environment > config file > embedded default', () => {
  test('nothing configured: the embedded SQLite file in XDG_DATA_HOME', () => {
    const c = resolveConfig({}, { XDG_DATA_HOME: '/srv/xdg', HOME: '/home/u' }, dirWith());
    expect(c.targets).toHaveLength(1);
    expect(c.targets[0]).toMatchObject({ name: 'embedded', dialect: 'sqlite', file: '/srv/xdg/egovctl/egovctl.sqlite', embedded: true, source: 'embedded default' });
  });
  test('without XDG_DATA_HOME: ~/.local/share/egovctl', () => {
    const c = resolveConfig({}, { HOME: '/home/u' }, dirWith());
    expect(c.targets[0]!.file).toBe('/home/u/.local/share/egovctl/egovctl.sqlite');
  });
  test('the config file defaultTarget beats the embedded default', () => {
    const c = resolveConfig({}, { HOME: '/h' }, dirWith(file));
    expect(c.targets[0]).toMatchObject({ name: 'central', dialect: 'pg', database: 'registry' });
    expect(c.targets[0]!.source).toContain('target central');
  });
  test('EGOVCTL_TARGET beats defaultTarget; DATABASE_URL beats EGOVCTL_TARGET; EGOVCTL_DATABASE_URL beats DATABASE_URL', () => {
    const dir = dirWith(file);
    expect(resolveConfig({}, { EGOVCTL_TARGET: 'local' }, dir).targets[0]!.name).toBe('local');
    expect(resolveConfig({}, { EGOVCTL_TARGET: 'local', DATABASE_URL: 'postgres://a@h/dbx' }, dir).targets[0]!.database).toBe('dbx');
    const both = resolveConfig({}, { DATABASE_URL: 'postgres://a@h/dbx', EGOVCTL_DATABASE_URL: 'postgres://a@h/dby' }, dir);
    expect(both.targets[0]!.database).toBe('dby');
    expect(both.selection).toBe('env EGOVCTL_DATABASE_URL');
  });
  test('flags beat the environment', () => {
    const dir = dirWith(file);
    expect(resolveConfig({ db: 'postgres://a@h/flagdb' }, { EGOVCTL_DATABASE_URL: 'postgres://a@h/envdb' }, dir).targets[0]!.database).toBe('flagdb');
    expect(resolveConfig({ target: 'local' }, { EGOVCTL_DATABASE_URL: 'postgres://a@h/envdb' }, dir).targets[0]!.name).toBe('local');
  });
  test('--config and EGOVCTL_CONFIG choose the file; a relative sqlite path resolves beside it', () => {
    const dir = dirWith();
    const p = path.join(dir, 'other.json');
    fs.writeFileSync(p, JSON.stringify({ defaultTarget: 'local', targets: { local: { url: 'sqlite:data/x.sqlite' } } }));
    const c = resolveConfig({ config: 'other.json' }, {}, dir);
    expect(c.targets[0]!.file).toBe(path.join(dir, 'data', 'x.sqlite'));
    expect(resolveConfig({}, { EGOVCTL_CONFIG: p }, '/').targets[0]!.name).toBe('local');
  });
  test('several targets and --all-targets', () => {
    const dir = dirWith(file);
    expect(resolveConfig({ target: 'local,central' }, {}, dir).targets.map((t) => t.name)).toEqual(['local', 'central']);
    expect(resolveConfig({ allTargets: true }, {}, dir).targets.map((t) => t.name)).toEqual(['central', 'local']);
  });
});

describe('passwords', () => {
  test('passwordEnv fills the password in; it is never in the display URL', () => {
    const c = resolveConfig({}, { CENTRAL_PGPASSWORD: 's3cr3t-pw' }, dirWith(file));
    const t = c.targets[0]!;
    expect(new URL(t.url).password).toBe('s3cr3t-pw');
    expect(t.displayUrl).toBe('postgres://egov@db1/registry');
    expect(redact(`failed: ${t.url} and s3cr3t-pw`)).toBe('failed: postgres://egov:***@db1/registry and ***');
  });
  test('a password in a URL is shown as ***', () => {
    expect(redactUrl('postgres://egov:hunter22@db1:5432/registry')).toBe('postgres://egov:***@db1:5432/registry');
    const c = resolveConfig({ db: 'postgresql://egov:hunter22@db1/registry' }, {}, dirWith());
    expect(c.targets[0]!.displayUrl).toBe('postgresql://egov:***@db1/registry');
    expect(c.targets[0]!.name).not.toContain('hunter22');
    registerSecret('hunter22');
    expect(redact('password authentication failed for hunter22')).toBe('password authentication failed for ***');
  });
});

describe('the config file is untrusted: every problem at once, exit 2', () => {
  function problems(config: unknown): UsageError {
    try {
      resolveConfig({}, {}, dirWith(config));
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return err as UsageError;
    }
    throw new Error('no error');
  }
  test('two unknown keys are both named', () => {
    const e = problems({ defaultTarget: 'a', targets: { a: { url: 'sqlite:a.db', pasword: 'x' } }, colour: true });
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('2 problems');
    expect(e.details.join('\n')).toContain('unknown key "colour"');
    expect(e.details.join('\n')).toContain('targets.a: unknown key "pasword"');
  });
  test('bad URL, unknown default target and bad passwordEnv together', () => {
    const e = problems({ defaultTarget: 'nope', targets: { a: { url: 'mysql://x/y', passwordEnv: '1bad' } } });
    const all = e.details.join('\n');
    expect(all).toContain('targets.a.url');
    expect(all).toContain('passwordEnv');
    expect(all).toContain('"nope"');
    expect(e.details).toHaveLength(3);
  });
  test('timeZone and timeouts: bad values and unknown keys are each named', () => {
    const e = problems({ timeZone: 'Mars/Olympus', timeouts: { lock: -1, idle: 1.5, stmt: 5 } });
    const all = e.details.join('\n');
    expect(all).toContain('"timeZone" "Mars/Olympus" is not a time zone');
    expect(all).toContain('timeouts.lock must be a whole number of seconds');
    expect(all).toContain('timeouts.idle must be a whole number of seconds');
    expect(all).toContain('timeouts: unknown key "stmt"');
    expect(e.details).toHaveLength(4);
    expect(problems({ timeouts: 30 }).details.join('\n')).toContain('"timeouts" must be an object');
  });
  test('good timeZone and timeouts are kept', () => {
    const c = resolveConfig({}, {}, dirWith({ timeZone: 'UTC', timeouts: { lock: 5, statement: 0, idle: 120 } }));
    expect(c.file?.timeZone).toBe('UTC');
    expect(c.file?.timeouts).toEqual({ lock: 5, statement: 0, idle: 120 });
  });
  test('not JSON', () => {
    expect(problems('{ "targets": ').message).toContain('not valid JSON');
  });
  test('a secret in a bad config URL is not repeated', () => {
    const e = problems({ targets: { a: { url: 'postgres://u:topsecret@/' } } });
    expect(e.details.join('\n')).not.toContain('topsecret');
  });
  test('--db with --target is a usage error; an unknown target lists the known ones', () => {
    const dir = dirWith(file);
    expect(() => resolveConfig({ db: 'sqlite:x', target: 'central' }, {}, dir)).toThrow(/cannot be used together/);
    expect(() => resolveConfig({ target: 'nowhere' }, {}, dir)).toThrow(/unknown target nowhere.*central, local/);
  });
});

describe('redaction of a password that is a common word', () => {
  test('"postgres" as a password blanks the password, not the scheme of every URL', () => {
    registerSecret('postgres');
    expect(redact('cannot connect to postgres://postgres:postgres@db1/registry')).toBe('cannot connect to postgres://***:***@db1/registry');
    expect(redact('target postgres://egov:***@db1/x: the password postgres was refused')).toBe('target postgres://egov:***@db1/x: the password *** was refused');
  });
});

describe('where the config file is looked for (issue 13.11)', () => {
  const conf = (name: string) => ({ defaultTarget: name, targets: { [name]: { url: `sqlite:${name}.sqlite` } } });
  function tree() {
    const root = dirWith();
    const mk = (rel: string, name: string) => {
      const f = path.join(root, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, JSON.stringify(conf(name)));
      return f;
    };
    const cwd = path.join(root, 'work');
    fs.mkdirSync(cwd);
    return { root, cwd, mk, env: { HOME: path.join(root, 'home'), EGOVCTL_SYSCONFDIR: path.join(root, 'etc') } as NodeJS.ProcessEnv };
  }
  const chosen = (t: ReturnType<typeof tree>, env: NodeJS.ProcessEnv, flags = {}) => {
    const c = resolveConfig(flags, env, t.cwd);
    return { name: c.targets[0]!.name, file: c.file?.path ?? null, source: c.file?.source ?? null };
  };

  test('--config, else EGOVCTL_CONFIG, else ./egovctl.config.json, else XDG_CONFIG_HOME (~/.config), else /etc', () => {
    const t = tree();
    expect(chosen(t, t.env).file).toBeNull();
    const etc = t.mk('etc/egovctl/config.json', 'system');
    expect(chosen(t, t.env)).toEqual({ name: 'system', file: etc, source: `system config (${etc})` });
    const home = t.mk('home/.config/egovctl/config.json', 'home');
    expect(chosen(t, t.env)).toMatchObject({ name: 'home', file: home, source: 'user config (~/.config/egovctl/config.json)' });
    const xdg = t.mk('xdg/egovctl/config.json', 'xdg');
    const withXdg = { ...t.env, XDG_CONFIG_HOME: path.join(t.root, 'xdg') };
    expect(chosen(t, withXdg)).toMatchObject({ name: 'xdg', file: xdg, source: 'user config ($XDG_CONFIG_HOME/egovctl/config.json)' });
    const local = t.mk('work/egovctl.config.json', 'local');
    expect(chosen(t, withXdg)).toMatchObject({ name: 'local', file: local });
    const envFile = t.mk('elsewhere/env.json', 'fromenv');
    expect(chosen(t, { ...withXdg, EGOVCTL_CONFIG: envFile })).toMatchObject({ name: 'fromenv', source: 'env EGOVCTL_CONFIG' });
    const flagFile = t.mk('elsewhere/flag.json', 'fromflag');
    expect(chosen(t, { ...withXdg, EGOVCTL_CONFIG: envFile }, { config: flagFile })).toMatchObject({ name: 'fromflag', source: 'flag --config' });
  });

  test('a relative sqlite URL is relative to the file that holds it; without EGOVCTL_SYSCONFDIR the system file is /etc', () => {
    const t = tree();
    const home = t.mk('home/.config/egovctl/config.json', 'home');
    expect(resolveConfig({}, t.env, t.cwd).targets[0]!.file).toBe(path.join(path.dirname(home), 'home.sqlite'));
    expect(configCandidates({ HOME: '/home/u' }, '/w').map((c) => c.path)).toEqual(['/w/egovctl.config.json', '/home/u/.config/egovctl/config.json', '/etc/egovctl/config.json']);
    // a relative XDG_CONFIG_HOME is ignored, as the XDG spec says
    expect(configCandidates({ HOME: '/home/u', XDG_CONFIG_HOME: 'rel' }, '/w')[1]!.path).toBe('/home/u/.config/egovctl/config.json');
  });
});
