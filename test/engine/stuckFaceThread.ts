/**
 * A face thread stuck in its work: it takes photos and never answers them (as one held in a long
 * native run would), logs each cancel it is sent, and closes when asked. For the test that a
 * cancelled job is answered at once, not when the thread is done.
 */
import { parentPort } from 'node:worker_threads';
import type { FromFaceThread, ToFaceThread } from '../../src/engine/threads/FaceWorker.ts';

const post = (message: FromFaceThread): void => parentPort?.postMessage(message);

parentPort?.on('message', (message: ToFaceThread) => {
  if (message.type === 'cancel') post({ type: 'log', level: 'info', message: 'cancel received', fields: { id: message.id } });
  if (message.type === 'close') {
    post({ type: 'closed', id: message.id });
    parentPort?.close();
  }
});
