/**
 * What keeps the engine's threads light: started from source they run bundled JavaScript (no
 * compiler thread of their own, ~27 MiB each), with each module's paths as from source; and a
 * thread that falls idle collects the frames its jobs left behind, which V8 alone keeps for
 * tens of MiB.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThread } from '../../src/engine/threads/spawn.ts';
import type { MemoryThreadAnswer, MemoryThreadRequest } from './memoryThread.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = new URL('./memoryThread.ts', import.meta.url);

describe('engine threads', () => {
  let worker: Worker;
  const ask = async (request: MemoryThreadRequest): Promise<MemoryThreadAnswer> => {
    worker.postMessage(request);
    const [answer] = (await once(worker, 'message')) as [MemoryThreadAnswer];
    return answer;
  };
  beforeAll(() => {
    worker = startThread(SCRIPT, {});
  });
  afterAll(async () => {
    await worker.terminate();
  });

  it('run bundled JavaScript from source, with each module seeing its own path', { timeout: 60_000 }, async () => {
    const answer = await ask({ type: 'where' });
    if (answer.type !== 'where') throw new Error(`unexpected answer ${answer.type}`);
    // The code runs from the bundle under node_modules/.cache, not through a loader...
    expect(answer.stack).toContain(path.join(ROOT, 'node_modules/.cache/toonbot-source'));
    // ...yet import.meta still names each module's source: the thread's own, and the engine's,
    // whose models folder is found from it.
    expect(answer.url).toBe(SCRIPT.href);
    expect(answer.modelsDir).toBe(path.join(ROOT, 'models'));
  });

  it("collect a finished job's frames when they fall idle, not while busy", { timeout: 60_000 }, async () => {
    const busy = await ask({ type: 'job', idle: false });
    const idle = await ask({ type: 'job', idle: true });
    if (busy.type !== 'job' || idle.type !== 'job') throw new Error('unexpected answer');
    // Each job held 24 MiB of frames when it ended.
    expect(busy.beforeMiB).toBeGreaterThanOrEqual(20);
    expect(idle.beforeMiB).toBeGreaterThanOrEqual(20);
    // A busy thread does not stop to collect them (V8 may still do so on its own, when its
    // heuristics say so: usually it keeps them for tens of MiB more)...
    expect(busy.forced).toBe(0);
    // ...an idle one collects them, and lets them go.
    expect(idle.forced).toBeGreaterThanOrEqual(1);
    expect(idle.afterMiB).toBeLessThan(4);
  });
});
