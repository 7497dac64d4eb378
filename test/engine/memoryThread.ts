/**
 * A thread for the memory tests (threadMemory.test.ts), started as the engine starts its own: it
 * says where its code runs from, and on request leaves a finished job's worth of frames behind and
 * reports how much outside memory the thread still holds after it falls idle (or stays busy).
 */
import { parentPort } from 'node:worker_threads';
import { DEFAULT_MODELS_DIR } from '../../src/engine/Engine.ts';
import { sweepWhenIdle } from '../../src/engine/threads/sweep.ts';

export type MemoryThreadRequest = { type: 'where' } | { type: 'job'; idle: boolean };
export type MemoryThreadAnswer = { type: 'where'; url: string; stack: string; modelsDir: string } | { type: 'job'; beforeMiB: number; afterMiB: number };

const post = (message: MemoryThreadAnswer): void => parentPort?.postMessage(message);
const arrayBuffersMiB = (): number => process.memoryUsage().arrayBuffers / 2 ** 20;

/** A 1024 px job's frames: eight 3 MiB typed arrays, written, then dropped. */
function job(): number {
  let sum = 0;
  for (let i = 0; i < 8; i += 1) {
    const frame = new Uint8Array(3 << 20).fill(i + 1);
    sum += frame[i] as number;
  }
  return sum;
}

parentPort?.on('message', (message: MemoryThreadRequest) => {
  if (message.type === 'where') {
    post({ type: 'where', url: import.meta.url, stack: new Error('here').stack ?? '', modelsDir: DEFAULT_MODELS_DIR });
    return;
  }
  job();
  const beforeMiB = arrayBuffersMiB();
  sweepWhenIdle(() => message.idle);
  // The collection runs on the next turn, and V8 frees the arrays' memory just after it.
  setTimeout(() => post({ type: 'job', beforeMiB, afterMiB: arrayBuffersMiB() }), 300);
});
