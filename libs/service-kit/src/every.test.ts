// every(): runs never overlap, a failed run is logged and the loop goes on, delayFirst waits
// a period, stop() waits for the run in flight and ends the loop.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { every } from './every';
import type { Logger } from './logger';

function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  const logger: Logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), child: () => logger };
  return logger;
}

describe('every', () => {
  it('never starts a run while one is in flight and stop() waits for it', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let finished = 0;
    const loop = every(
      'slow',
      1,
      async () => {
        runs++;
        maxActive = Math.max(maxActive, ++active);
        await sleep(30);
        active--;
        finished++;
      },
      recordingLogger([]),
    );
    await sleep(100);
    loop.kick();
    await loop.stop();
    expect(runs).toBeGreaterThan(1);
    expect(maxActive).toBe(1);
    expect(finished).toBe(runs);
    await sleep(50);
    expect(runs).toBe(finished);
  });

  it('logs a failed run and runs again', async () => {
    const lines: string[] = [];
    let runs = 0;
    const loop = every(
      'flaky',
      5,
      async () => {
        if (++runs === 1) throw new Error('router unreachable');
      },
      recordingLogger(lines),
    );
    await sleep(60);
    await loop.stop();
    expect(lines).toEqual(['warn flaky failed']);
    expect(runs).toBeGreaterThan(1);
  });

  it('with delayFirst waits one period before the first run', async () => {
    let runs = 0;
    const loop = every('later', 150, async () => void runs++, recordingLogger([]), { delayFirst: true });
    await sleep(30);
    expect(runs).toBe(0);
    await sleep(200);
    expect(runs).toBe(1);
    await loop.stop();
  });
});
