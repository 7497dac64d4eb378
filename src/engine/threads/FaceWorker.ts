/**
 * The face pass in a thread of its own, beside an inference thread: it finds and draws the faces
 * of a photo while the inference thread runs the whole frame's graph, and the inference thread
 * pastes the drawn faces when both are done. onnxruntime-node runs a graph on the thread that
 * calls it, so two graphs overlap only from two threads. On 2 cores the look's graph gains only
 * ~1.3x from its second core, and the small face graphs nothing, so the face pass runs nearly
 * for free beside it (docs/BENCHMARKS.md, "Faces in every look / Cost").
 *
 * The thread owns the detectors and the face graphs' sessions (they are not opened in the
 * inference thread besides). One that dies answers its requests with an error and is started
 * again on next use.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ToonError } from '../errors.ts';
import type { RgbFrame } from '../image.ts';
import type { Logger } from '../log.ts';
import type { ModelEntry } from '../manifest.ts';
import type { DrawnFaces } from '../portrait.ts';
import type { RuntimeConfig } from '../runtime.ts';
import { fromWire, type LogLine, type WireError } from './protocol.ts';
import { startThread, threadScript } from './spawn.ts';

const FACE_THREAD_URL = threadScript('faceThread');

/** What the face thread is started with. */
export interface FaceThreadData {
  runtime: RuntimeConfig;
}

/** A frame as it crosses: a Buffer arrives as a plain Uint8Array. */
interface WireFrame {
  data: Uint8Array;
  width: number;
  height: number;
  sourceLong?: number;
}

export type ToFaceThread =
  { type: 'faces'; id: number; photo: WireFrame; entry: ModelEntry; inner?: number } | { type: 'warm'; id: number; entry: ModelEntry } | { type: 'cancel'; id: number } | { type: 'close'; id: number };

export type FromFaceThread =
  { type: 'faces'; id: number; drawn: DrawnFaces } | { type: 'warm'; id: number } | { type: 'failed'; id: number; error: WireError } | { type: 'closed'; id: number } | LogLine;

interface Pending {
  resolve: (message: FromFaceThread) => void;
  /** With a ToonError, or the abort signal's reason. */
  reject: (error: unknown) => void;
}

/**
 * onnxruntime threads for the face thread's graphs when the configuration leaves it open: half
 * the cores (one on 2 cores), the rest staying with the look's graph running at the same time.
 */
export function faceThreads(runtime: RuntimeConfig): number {
  return runtime.intraOpThreads > 0 ? runtime.intraOpThreads : Math.max(1, Math.floor(availableParallelism() / 2));
}

export class FaceWorker {
  readonly #runtime: RuntimeConfig;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  readonly #script: URL;
  #worker: Worker | undefined;
  #nextId = 0;

  /** `script`: another thread script (tests); it must answer the same messages. */
  constructor(runtime: RuntimeConfig, log: Logger, script: URL = FACE_THREAD_URL) {
    this.#runtime = runtime;
    this.#log = log;
    this.#script = script;
  }

  /** Finds the faces of `photo` and, with `inner`, draws them (portrait.ts drawFaces, in the thread). */
  async draw(photo: RgbFrame, entry: ModelEntry, inner: number | undefined, signal?: AbortSignal): Promise<DrawnFaces> {
    signal?.throwIfAborted();
    const id = this.#id();
    // A copy the thread owns: the photo stays here for the whole frame's graph and the blend.
    const data = new Uint8Array(photo.data);
    // A cancelled job is answered now; the thread is told to stop between faces, and its late
    // answer, if any, finds no one waiting and is dropped.
    const onAbort = (): void => {
      this.#worker?.postMessage({ type: 'cancel', id } satisfies ToFaceThread);
      const pending = this.#pending.get(id);
      this.#pending.delete(id);
      pending?.reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const message: ToFaceThread = {
        type: 'faces',
        id,
        photo: { data, width: photo.width, height: photo.height, ...(photo.sourceLong === undefined ? {} : { sourceLong: photo.sourceLong }) },
        entry,
        ...(inner === undefined ? {} : { inner }),
      };
      const answer = await this.#request(message, [data.buffer]);
      if (answer.type !== 'faces') throw new ToonError('INTERNAL', { detail: { reason: `unexpected answer ${answer.type}` } });
      const { drawn } = answer;
      return {
        ...drawn,
        faces: drawn.faces.map((face) => (face.head ? { ...face, head: { ...face.head, data: Buffer.from(face.head.data.buffer, face.head.data.byteOffset, face.head.data.byteLength) } } : face)),
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Opens the face finder in the thread (a bot's warm-up), so that the first photo does not wait for it. */
  async warm(entry: ModelEntry): Promise<void> {
    await this.#request({ type: 'warm', id: this.#id(), entry });
  }

  /** Closes the thread's sessions, then the thread. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    await Promise.race([this.#request({ type: 'close', id: this.#id() }).catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
    this.#worker = undefined;
    await worker.terminate();
  }

  #request(message: ToFaceThread, transfer: ArrayBuffer[] = []): Promise<FromFaceThread> {
    const worker = this.#start();
    return new Promise<FromFaceThread>((resolve, reject) => {
      this.#pending.set(message.id, { resolve, reject });
      worker.ref();
      worker.postMessage(message, transfer);
    }).finally(() => {
      if (this.#pending.size === 0) worker.unref();
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const data: FaceThreadData = { runtime: { ...this.#runtime, intraOpThreads: faceThreads(this.#runtime) } };
    const worker = startThread(this.#script, data);
    worker.on('message', (message: FromFaceThread) => this.#receive(message));
    worker.on('error', (error) => this.#log.error('face thread failed', { error }));
    worker.on('exit', (exitCode) => {
      if (this.#worker === worker) this.#worker = undefined;
      if (this.#pending.size > 0) this.#log.error('face thread stopped with work in hand', { exitCode, requests: this.#pending.size });
      const failure = new ToonError('INTERNAL', { detail: { reason: 'face thread stopped', exitCode } });
      for (const pending of this.#pending.values()) pending.reject(failure);
      this.#pending.clear();
    });
    this.#worker = worker;
    return worker;
  }

  #receive(message: FromFaceThread): void {
    if (message.type === 'log') {
      this.#log[message.level](message.message, message.fields);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.type === 'failed') pending.reject(fromWire(message.error));
    else pending.resolve(message);
  }

  #id(): number {
    this.#nextId += 1;
    return this.#nextId;
  }
}
