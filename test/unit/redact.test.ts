import { describe, expect, test } from 'vitest';
import { redact, redactUrl } from '../../src/config/redact.js';

describe('redact: every form of a password', () => {
  test.each([
    ['postgres://u:Qx7vK@Lm9zR2@db1:5432/reg', 'postgres://u:***@db1:5432/reg'],
    ['postgresql://u:p%40ss@db1/reg', 'postgresql://u:***@db1/reg'],
    ['postgres://u@db1/reg?password=s3cret&application_name=x', 'postgres://u@db1/reg?password=***&application_name=x'],
    ['postgres://u@db1/reg?sslmode=require&sslpassword=k3y', 'postgres://u@db1/reg?sslmode=require&sslpassword=***'],
    ['host=db1 user=u password=s3cret dbname=reg', 'host=db1 user=u password=*** dbname=reg'],
    ["host=db1 password='a b c' dbname=reg", 'host=db1 password=*** dbname=reg'],
    ['cannot connect to postgres://u:pw@db1:5432/reg: ECONNREFUSED', 'cannot connect to postgres://u:***@db1:5432/reg: ECONNREFUSED'],
  ])('%s', (input, shown) => {
    expect(redactUrl(input)).toBe(shown);
    expect(redact(input)).toBe(shown);
  });

  test('leaves what holds no password alone', () => {
    for (const s of ['postgres://u@db1:5432/reg', 'https://example.org:8080/a@b', 'sqlite:/data/x.sqlite', 'a password: none', 'postgres://u:***@db1/reg']) {
      expect(redact(s)).toBe(s);
    }
  });

  // The old URL regex backtracked over a run of letters and digits: 512 KB took 134 s.
  // A generous bound, not a timing assertion: a quadratic scan of 8 MB would take hours.
  test('a value of several megabytes of letters and digits is done in linear time', () => {
    const run = 'aB3'.repeat(3 << 20); // 9 MB
    expect(redact(run)).toBe(run);
    const urlish = `${run}://${run}:${run}`;
    expect(redact(urlish)).toBe(urlish);
    expect(redact(`x ${run}password=${run}`)).toBe(`x ${run}password=${run}`); // not a parameter name on its own
    expect(redact(`x password=${run} y`)).toBe('x password=*** y');
  }, 20_000);
});
