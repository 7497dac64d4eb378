/**
 * The face thread (FaceWorker.ts): finds and draws a photo's faces with its own detector and face
 * graph sessions while its inference thread runs the whole frame's graph.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ToonError, toToonError } from '../errors.ts';
import { ModelCache } from '../ModelCache.ts';
import { drawFaces } from '../portrait.ts';
import type { FaceThreadData, FromFaceThread, ToFaceThread } from './FaceWorker.ts';
import { threadLogger, toWire, transferable } from './protocol.ts';
import { sweepWhenIdle } from './sweep.ts';

const port = parentPort;
if (!port) throw new Error('faceThread.ts runs as a worker thread (see FaceWorker)');
const { runtime } = workerData as FaceThreadData;

function post(message: FromFaceThread, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

const logger = threadLogger(post);
// The face pass runs here in line: this thread is the face thread.
const models = new ModelCache({ ...runtime, faceThread: false }, logger);
const running = new Map<number, AbortController>();

async function handle(message: ToFaceThread): Promise<void> {
  switch (message.type) {
    case 'faces': {
      const controller = new AbortController();
      running.set(message.id, controller);
      try {
        const { data, width, height, sourceLong } = message.photo;
        const photo = { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height, ...(sourceLong === undefined ? {} : { sourceLong }) };
        const side = Math.max(width, height);
        const drawn = await drawFaces(await models.faceModels(message.entry, side), photo, message.inner, controller.signal);
        // Each drawn crop crosses as a transferred buffer.
        const transfer: ArrayBuffer[] = [];
        for (const face of drawn.faces) {
          if (!face.head) continue;
          const own = transferable(face.head.data);
          face.head = { ...face.head, data: own };
          transfer.push(own.buffer as ArrayBuffer);
        }
        post({ type: 'faces', id: message.id, drawn }, transfer);
      } catch (error) {
        post({ type: 'failed', id: message.id, error: toWire(toToonError(error)) });
      } finally {
        running.delete(message.id);
        sweepWhenIdle(() => running.size === 0);
      }
      return;
    }
    case 'warm':
      try {
        // The finder and the head graph at its own side (a face's crop is often that size).
        const faces = await models.faceModels(message.entry, 0);
        const side = message.entry.manifest.head?.side;
        if (side !== undefined) await faces.head(side);
        post({ type: 'warm', id: message.id });
      } catch (error) {
        post({ type: 'failed', id: message.id, error: toWire(toToonError(error)) });
      }
      return;
    case 'cancel':
      running.get(message.id)?.abort(new ToonError('CANCELLED'));
      return;
    case 'close':
      await models.close();
      post({ type: 'closed', id: message.id });
      port?.close();
      return;
  }
}

port.on('message', (message: ToFaceThread) => void handle(message));
