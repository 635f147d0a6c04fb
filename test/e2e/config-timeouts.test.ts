import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli, scratch } from '../helpers/cli.js';

// The timeouts of the README's "Timeouts" table can live in the config file; a flag still
// wins. `config show` says which value holds and where it came from.

describe('timeouts in the config file', () => {
  const home = scratch();
  afterAll(() => home.cleanup());
  const cfg = path.join(home.dir, 'egovctl.config.json');
  fs.writeFileSync(cfg, JSON.stringify({ timeZone: 'Europe/Berlin', timeouts: { lock: 7, idle: 45 } }));

  test('the file sets them, a flag wins, the rest keep their defaults', async () => {
    const r = await runCli(['--config', cfg, '--idle-timeout', '9', 'config', 'show', '--json'], { env: home.env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.timeouts).toEqual({ lock: 7, statement: 0, idle: 9 });
    expect(doc.time_zone).toBe('Europe/Berlin');
    const h = await runCli(['--config', cfg, 'config', 'show'], { env: home.env });
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/timeouts\.lock\s+7 s\s+config file/);
    expect(h.stdout).toMatch(/timeouts\.statement\s+0 s \(no limit\)\s+default/);
    expect(h.stdout).toMatch(/timeouts\.idle\s+45 s\s+config file/);
    expect(h.stdout).toMatch(/timeZone\s+Europe\/Berlin\s+config file/);
  });

  test('a bad value is a usage error that names it (exit 2)', async () => {
    const bad = path.join(home.dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ timeouts: { lock: 'soon' } }));
    const r = await runCli(['--config', bad, 'config', 'show'], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('timeouts.lock must be a whole number of seconds');
    expect(r.stdout).toBe('');
  });
});
