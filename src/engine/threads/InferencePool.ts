/**
 * The engine's side of its inference threads: one worker thread per unit of the queue's
 * concurrency, each with its own model sessions. A job's encoded photo goes in, its encoded
 * cartoon comes back as a transferred buffer; cancellation crosses as a message and reaches the
 * job between tiles. A thread that dies answers its jobs with an error and is replaced on next use.
 */
import type { Worker } from 'node:worker_threads';
import { ToonError } from '../errors.ts';
import type { ImageLimits } from '../image.ts';
import type { JobContext } from '../JobQueue.ts';
import type { Logger } from '../log.ts';
import type { ModelEntry } from '../manifest.ts';
import type { JobInput, JobOutput } from '../pipeline.ts';
import type { RuntimeConfig } from '../runtime.ts';
import type { Progress } from '../types.ts';
import { fromWire, toWire, type FromThread, type ThreadData, type ToThread } from './protocol.ts';
import { startThread, threadScript } from './spawn.ts';

const INFERENCE_THREAD_URL = threadScript('inferenceThread');

interface PoolOptions {
  runtime: RuntimeConfig;
  limits: ImageLimits;
  logger: Logger;
  /** Threads (the queue's concurrency). */
  size: number;
  /** Another thread script (tests); it must answer the same messages. */
  script?: URL;
}

interface Pending {
  resolve: (message: FromThread) => void;
  reject: (error: ToonError) => void;
  /** A clip between its parts (see 'turn'). */
  onTurn?: (progress: Progress) => void;
  /** The job is drawn and encoding (see 'released'). */
  onReleased?: () => void;
}

/** A job's context in the pool: the line's, where a clip's progress goes, its photo decoded ahead. */
export interface PoolContext extends JobContext {
  onProgress?: (progress: Progress) => void;
  ahead?: DecodedAhead;
}

/** A photo being decoded ahead on one thread, for one job (InferencePool.decodeAhead). */
export interface DecodedAhead {
  /** Drops the photo if its job never ran (it left the line); harmless after it ran. */
  drop(): void;
}

class Ahead implements DecodedAhead {
  constructor(
    readonly thread: Thread,
    readonly id: number,
  ) {}

  drop(): void {
    this.thread.post({ type: 'forget', id: this.id });
  }
}

class Thread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #log: Logger;
  #alive = true;
  providers: string[] = [];

  constructor(options: PoolOptions, onExit: (thread: Thread) => void) {
    this.#log = options.logger;
    const script = options.script ?? INFERENCE_THREAD_URL;
    const data: Omit<ThreadData, 'entry'> = { runtime: options.runtime, limits: options.limits };
    this.#worker = startThread(script, data);
    this.#worker.on('message', (message: FromThread) => this.#receive(message));
    this.#worker.on('error', (error) => this.#log.error('inference thread failed', { error }));
    this.#worker.on('exit', (exitCode) => {
      this.#alive = false;
      if (this.#pending.size > 0) this.#log.error('inference thread stopped with jobs in hand', { exitCode, jobs: this.#pending.size });
      const failure = new ToonError('INTERNAL', { detail: { reason: 'inference thread stopped', exitCode } });
      for (const pending of this.#pending.values()) pending.reject(failure);
      this.#pending.clear();
      onExit(this);
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  get load(): number {
    return this.#pending.size;
  }

  /** Sends a request and resolves with the thread's answer to it. */
  request(message: ToThread, on: Pick<Pending, 'onTurn' | 'onReleased'> = {}): Promise<FromThread> {
    if (!this.#alive) return Promise.reject(new ToonError('INTERNAL', { detail: { reason: 'inference thread stopped' } }));
    return new Promise<FromThread>((resolve, reject) => {
      this.#pending.set(message.id, { resolve, reject, ...on });
      // Held while it has work: a process whose engine is idle (or forgotten) can still exit.
      this.#worker.ref();
      this.#worker.postMessage(message);
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.unref();
    });
  }

  post(message: ToThread): void {
    if (this.#alive) this.#worker.postMessage(message);
  }

  #receive(message: FromThread): void {
    if (message.type === 'log') {
      this.#log[message.level](message.message, message.fields);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.type === 'turn') {
      pending.onTurn?.(message.progress);
      return;
    }
    if (message.type === 'released') {
      pending.onReleased?.();
      return;
    }
    this.#pending.delete(message.id);
    if ('providers' in message) this.providers = message.providers;
    if (message.type === 'failed') pending.reject(fromWire(message.error));
    else pending.resolve(message);
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}

export class InferencePool {
  readonly #options: PoolOptions;
  readonly #threads: Thread[] = [];
  #nextId = 0;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** Runs one job on the least busy thread; the job's signal (cancel, deadline, stop) follows it there. */
  async run(input: JobInput, context: PoolContext): Promise<JobOutput> {
    // Where its photo was decoded ahead, if that thread still lives; else the least busy.
    const ahead = context.ahead instanceof Ahead && context.ahead.thread.alive && !this.#closed ? context.ahead : undefined;
    const thread = ahead?.thread ?? this.#thread();
    const id = this.#id();
    const { signal } = context;
    if (signal.aborted) {
      ahead?.drop();
      signal.throwIfAborted();
    }
    const onAbort = (): void => thread.post({ type: 'cancel', id, error: toWire(signal.reason instanceof ToonError ? signal.reason : new ToonError('CANCELLED')) });
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // A clip between its parts: its progress reported, its next part when the line gives it a turn.
      const onTurn = (progress: Progress): void => {
        try {
          context.onProgress?.(progress);
        } catch {
          // A failing progress callback (a platform edit) must not hurt the job.
        }
        Promise.resolve(context.turn?.()).then(
          () => thread.post({ type: 'go', id }),
          () => undefined, // cancelled meanwhile: the cancel message ends it on the thread
        );
      };
      // Drawn and encoding: the line's slot goes to the next job (JobContext.release).
      const onReleased = (): void => context.release?.();
      const answer = await thread.request({ type: 'job', id, input, queuedMs: context.queuedMs, ...(ahead ? { decoded: ahead.id } : {}) }, { onTurn, onReleased });
      if (answer.type !== 'done') throw new ToonError('INTERNAL', { detail: { reason: `unexpected answer ${answer.type}` } });
      return { ...answer.output, image: Buffer.from(answer.output.image.buffer, answer.output.image.byteOffset, answer.output.image.byteLength) };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Starts decoding a photo whose job is next in line, on the thread least busy now (where the
   * job then runs): the decode runs beside the job before it, off its own critical path.
   */
  decodeAhead(input: Pick<JobInput, 'image' | 'size'>): DecodedAhead | undefined {
    if (this.#closed) return undefined;
    const thread = this.#thread();
    const id = this.#id();
    thread.post({ type: 'decode', id, image: input.image, size: input.size });
    return new Ahead(thread, id);
  }

  /** Opens the entry's model on every thread and runs it once; resolves with the provider it runs on. */
  async warmup(entry: ModelEntry): Promise<string> {
    while (this.#threads.length < this.#options.size) this.#start();
    const answers = await Promise.all(this.#threads.map((t) => t.request({ type: 'warmup', id: this.#id(), entry })));
    const first = answers[0];
    return first?.type === 'warm' ? first.provider : 'unknown';
  }

  /** The execution providers the threads' sessions run on. */
  providers(): string[] {
    return [...new Set(this.#threads.flatMap((t) => t.providers))];
  }

  /** Closes every thread's sessions, then the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads.splice(0);
    await Promise.all(
      threads.map(async (t) => {
        if (t.alive) await Promise.race([t.request({ type: 'close', id: this.#id() }).catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
        await t.terminate();
      }),
    );
  }

  #id(): number {
    this.#nextId += 1;
    return this.#nextId;
  }

  #thread(): Thread {
    if (this.#closed) throw new ToonError('SHUTTING_DOWN');
    const live = this.#threads.filter((t) => t.alive);
    if (live.length < this.#options.size) return this.#start();
    return live.reduce((a, b) => (b.load < a.load ? b : a));
  }

  #start(): Thread {
    const thread = new Thread(this.#options, (gone) => {
      const at = this.#threads.indexOf(gone);
      if (at >= 0) this.#threads.splice(at, 1);
    });
    this.#threads.push(thread);
    return thread;
  }
}
