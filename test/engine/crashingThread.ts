/**
 * An inference thread that dies (an uncaught exception) in the middle of its first job, once per
 * marker file (the path in TOONBOT_TEST_CRASH_MARK), and otherwise is the real one: for the
 * engine's test of a thread that crashes mid-job. The real thread's handler, attached first,
 * starts the job; this one throws under it on the next turn of the loop.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

await import('../../src/engine/threads/inferenceThread.ts');

const mark = process.env.TOONBOT_TEST_CRASH_MARK;
parentPort?.on('message', (message: { type: string }) => {
  if (message.type !== 'job' || !mark || existsSync(mark)) return;
  writeFileSync(mark, 'crashed once');
  setTimeout(() => {
    throw new Error('a bug in the inference thread');
  }, 0);
});
