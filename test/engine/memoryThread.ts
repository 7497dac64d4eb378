/**
 * A thread for the memory tests (threadMemory.test.ts), started as the engine starts its own: it
 * says where its code runs from, and on request leaves a finished job's worth of frames behind and
 * reports how much outside memory the thread still holds after it falls idle (or stays busy).
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { DEFAULT_MODELS_DIR } from '../../src/engine/Engine.ts';
import { sweepWhenIdle } from '../../src/engine/threads/sweep.ts';

export type MemoryThreadRequest = { type: 'where' } | { type: 'job'; idle: boolean };
export type MemoryThreadAnswer = { type: 'where'; url: string; stack: string; modelsDir: string } | { type: 'job'; beforeMiB: number; afterMiB: number; forced: number };

const post = (message: MemoryThreadAnswer): void => parentPort?.postMessage(message);
const arrayBuffersMiB = (): number => process.memoryUsage().arrayBuffers / 2 ** 20;

/** A 1024 px job's frames: eight 3 MiB typed arrays, written (and held until the job ends). */
function job(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 8; i += 1) frames.push(new Uint8Array(3 << 20).fill(i + 1));
  return frames;
}

/**
 * Collections asked for by code (`gc()`), as against those V8 runs on its own: V8 may collect a
 * busy thread's dead frames itself whenever its heuristics say so, so what the sweep is tested
 * for is whether it asks, and what is left after it did.
 */
let forced = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { flags } = (entry as PerformanceEntry & { detail: { flags: number } }).detail;
    if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) forced += 1;
  }
}).observe({ entryTypes: ['gc'] });

parentPort?.on('message', (message: MemoryThreadRequest) => {
  if (message.type === 'where') {
    post({ type: 'where', url: import.meta.url, stack: new Error('here').stack ?? '', modelsDir: DEFAULT_MODELS_DIR });
    return;
  }
  const frames = job();
  const beforeMiB = arrayBuffersMiB();
  frames.length = 0; // The job ends: its frames are dead from here.
  const forcedBefore = forced;
  sweepWhenIdle(() => message.idle);
  // The collection runs on the next turn, V8 frees the arrays' memory just after it, and the
  // collection's entry reaches the observer on a later turn.
  setTimeout(() => post({ type: 'job', beforeMiB, afterMiB: arrayBuffersMiB(), forced: forced - forcedBefore }), 300);
});
