import { describe, expect, it } from 'vitest';
import { tryCall } from '../../../src/bots/telegram/send.ts';
import { silentLogger } from '../../../src/engine/index.ts';

describe('tryCall', () => {
  it('gives up on a call that never answers at its time limit, and says why', async () => {
    const started = performance.now();
    const outcome = await tryCall('sendMessage', () => new Promise<never>(() => undefined), silentLogger, { attempts: 4, maxWaitS: 60, timeoutMs: 200, sleep: async () => undefined });
    expect(outcome).toMatchObject({ ok: false, code: undefined });
    expect(outcome.ok ? '' : outcome.description).toMatch(/TimeoutError|longer than 200 ms/);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('waits out a 429 as often as allowed, then reports the last failure', async () => {
    const waits: number[] = [];
    const tooMany = Object.assign(new Error('429'), { response: { error_code: 429, parameters: { retry_after: 2 } }, description: 'Too Many Requests' });
    let calls = 0;
    const outcome = await tryCall(
      'sendPhoto',
      async () => {
        calls += 1;
        throw tooMany;
      },
      silentLogger,
      { attempts: 3, maxWaitS: 60, sleep: async (ms) => void waits.push(ms) },
    );
    expect(calls).toBe(3);
    expect(waits).toEqual([2000, 2000]);
    expect(outcome).toMatchObject({ ok: false, code: 429 });
  });
});
