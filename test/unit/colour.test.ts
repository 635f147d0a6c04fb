import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { createLogger } from '../../src/output/logger.js';
import { makePaint, wantColor } from '../../src/output/paint.js';

// SPEC §5: colour only on a terminal, never with NO_COLOR set or --no-color.

test('colour only on a terminal, without NO_COLOR, without --no-color', () => {
  expect(wantColor({ isTTY: true }, true, {})).toBe(true);
  expect(wantColor({ isTTY: false }, true, {})).toBe(false);
  expect(wantColor({ isTTY: true }, true, { NO_COLOR: '1' })).toBe(false);
  expect(wantColor({ isTTY: true }, true, { NO_COLOR: '' })).toBe(false);
  expect(wantColor({ isTTY: true }, false, {})).toBe(false); // --no-color
  expect(wantColor({ isTTY: true }, true, { TERM: 'dumb' })).toBe(false);
});

test('an error line is red with colour and plain without; --quiet keeps only errors', async () => {
  const lines = async (color: boolean, level: 'quiet' | 'normal') => {
    const s = new PassThrough();
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => (out += d));
    const log = createLogger(s, level, await makePaint(color));
    log.error('cannot connect');
    log.warn('careful');
    log.info('done');
    await new Promise((r) => setImmediate(r));
    return out;
  };
  expect(await lines(true, 'normal')).toBe('\x1b[31merror:\x1b[39m cannot connect\n\x1b[33mwarning:\x1b[39m careful\ndone\n');
  expect(await lines(false, 'normal')).toBe('error: cannot connect\nwarning: careful\ndone\n');
  expect(await lines(false, 'quiet')).toBe('error: cannot connect\n');
});
