/**
 * An inference thread: owns the model sessions and runs jobs from the encoded photo to the
 * encoded cartoon (decode, tiles, model runs, blend, faces, encode), so that none of it holds the
 * main thread, where the bots' heartbeats, polling and the queue live. Started by InferencePool.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toToonError } from '../errors.ts';
import { stylise } from '../fullFrame.ts';
import type { RgbFrame } from '../image.ts';
import { frameModel, ModelCache } from '../ModelCache.ts';
import { decodeAhead, runJob, type Decoded } from '../pipeline.ts';
import type { Progress } from '../types.ts';
import { sweepWhenIdle } from './sweep.ts';
import { fromWire, threadLogger, toWire, transferable, type FromThread, type ThreadData, type ToThread } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('inferenceThread.ts runs as a worker thread (see InferencePool)');
const { runtime, limits } = workerData as ThreadData;

function post(message: FromThread, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

const logger = threadLogger(post);
const models = new ModelCache(runtime, logger);
const running = new Map<number, AbortController>();
/** Clips waiting between their parts for their turn ('go'). */
const turns = new Map<number, () => void>();
/**
 * Jobs of this thread that gave their slot back and are encoding. At most one: another job
 * drawn meanwhile keeps its slot until its own encode ends, so that finished frames never pile
 * up waiting for the encoder (their memory stays bounded by the slots).
 */
let encoding = 0;
/** Photos decoded ahead of their jobs ('decode'), by the decode's id, until the job takes its photo or is forgotten. */
const ahead = new Map<number, Promise<Decoded>>();

/** Tells the engine how far clip `id` has come and waits for its turn (photos in line go first). */
function between(id: number, signal: AbortSignal, progress: Progress): Promise<void> {
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      turns.delete(id);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    turns.set(id, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    post({ type: 'turn', id, progress });
  });
}

async function handle(message: ToThread): Promise<void> {
  switch (message.type) {
    case 'job': {
      const controller = new AbortController();
      running.set(message.id, controller);
      let released = false;
      const release = (): void => {
        if (released || encoding > 0) return;
        released = true;
        encoding += 1;
        post({ type: 'released', id: message.id });
      };
      const decoded = message.decoded === undefined ? undefined : ahead.get(message.decoded);
      if (message.decoded !== undefined) ahead.delete(message.decoded);
      try {
        const { signal } = controller;
        const output = await runJob(models, limits, message.input, {
          signal,
          queuedMs: message.queuedMs,
          between: (progress) => between(message.id, signal, progress),
          release,
          ...(decoded ? { decoded } : {}),
        });
        // The encoded result crosses as a transferred buffer.
        const own = transferable(output.image);
        post({ type: 'done', id: message.id, output: { ...output, image: own }, providers: models.providers() }, [own.buffer as ArrayBuffer]);
      } catch (error) {
        post({ type: 'failed', id: message.id, error: toWire(toToonError(error)), providers: models.providers() });
      } finally {
        if (released) encoding -= 1;
        running.delete(message.id);
        sweepWhenIdle(() => running.size === 0);
      }
      return;
    }
    case 'decode': {
      const decoding = decodeAhead(limits, message);
      // A bad photo fails its job when the job runs (or never, if it leaves the line first).
      decoding.catch(() => undefined);
      ahead.set(message.id, decoding);
      return;
    }
    case 'forget':
      ahead.delete(message.id);
      sweepWhenIdle(() => running.size === 0);
      return;
    case 'go':
      turns.get(message.id)?.();
      turns.delete(message.id);
      return;
    case 'cancel':
      running.get(message.id)?.abort(fromWire(message.error));
      return;
    case 'warmup': {
      try {
        const { entry } = message;
        if (entry.manifest.pipeline === 'portrait') await models.warmFaces(entry);
        const model = frameModel(await models.session(entry), entry);
        const frame: RgbFrame = { data: Buffer.alloc(64 * 64 * 3, 128), width: 64, height: 64 };
        await stylise(model, frame, 1);
        post({ type: 'warm', id: message.id, provider: model.provider, providers: models.providers() });
      } catch (error) {
        post({ type: 'failed', id: message.id, error: toWire(toToonError(error)), providers: models.providers() });
      }
      return;
    }
    case 'close':
      await models.close();
      post({ type: 'closed', id: message.id });
      port?.close();
      return;
  }
}

port.on('message', (message: ToThread) => void handle(message));
