/**
 * A face thread that dies (an uncaught exception) on any photo 13 px wide, and otherwise is the
 * real one: for the test of a face thread that crashes in the middle of a request. The real
 * thread's handler, attached first, starts the work; this one throws under it on the next turn.
 */
import { parentPort } from 'node:worker_threads';

await import('../../src/engine/threads/faceThread.ts');

parentPort?.on('message', (message: { type: string; photo?: { width: number } }) => {
  if (message.type !== 'faces' || message.photo?.width !== 13) return;
  setTimeout(() => {
    throw new Error('a bug in the face thread');
  }, 0);
});
