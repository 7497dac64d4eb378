/**
 * The engine shell's backend in scale-out mode: a job is one round trip through Redis to a GPU
 * worker (`toonbot worker`). The photo goes to Redis under its own key, the job to the BullMQ
 * queue; a worker puts the cartoon under another key. Whoever answers a job first sets its
 * `answered` key (SET NX), so nothing is answered twice, and cleans up after it: Redis goes back
 * to where it was.
 */
import { randomUUID } from 'node:crypto';
import {
  CLIP_LIMITS,
  isToonError,
  ToonError,
  toToonError,
  type Backend,
  type BackendContext,
  type BackendJob,
  type JobOutput,
  type Logger,
  type ModelEntry,
  type QueueLimits,
  type LateOutcome,
  type Progress,
  type QueueStats,
  type ReplyAddress,
} from '../engine/expert.ts';
import { JobChannel, type QueuedJob } from './channel.ts';
import { decodeError, type JobData, type JobReturn } from './protocol.ts';
import { SharedLine, type Pending } from './sharedLine.ts';

export interface RedisBackendOptions {
  redisUrl: string;
  /** This producer's name: a restarted one takes back the jobs of the same name. */
  instance: string;
  /** How often the line's counts and the workers are read when no event says so. */
  refreshMs: number;
  /** The shared line's bound (TOONBOT_QUEUE_MAX). */
  maxWaiting: number;
  logger: Logger;
}

/** Jobs that workers hold at once, beyond the wait list's bound (one per GPU worker is far below it). */
const RUNNING_ROOM = 64;

/** What a bot tells a user about a job a previous run of it accepted. */
export type AnswerLater = (replyTo: ReplyAddress, outcome: LateOutcome) => Promise<void>;

/** How a job that Redis still has ended: its return value or its failure. */
export type Finished = { returnvalue?: unknown; failedReason?: string | undefined };

export class RedisBackend implements Backend {
  readonly positions = 'backend';
  readonly instance: string;
  readonly #channel: JobChannel;
  readonly #line: SharedLine;
  /** This process's jobs in Redis, by id, until they are answered. */
  readonly #pending = new Map<string, Pending>();
  readonly #log: Logger;
  readonly #maxWaiting: number;
  /** Jobs being taken out of Redis (cancelled, timed out): close() waits for them. */
  readonly #withdrawals = new Set<Promise<void>>();
  readonly #refreshTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: RedisBackendOptions) {
    this.instance = options.instance;
    this.#log = options.logger;
    this.#maxWaiting = options.maxWaiting;
    this.#channel = new JobChannel(options.redisUrl, options.logger, options.instance, {
      finished: (id, outcome) => this.settle(id, outcome),
      started: (id) => this.#line.started(id),
      progress: (id, data) => this.#progress(id, data),
      moved: () => this.#line.moved(),
    });
    this.#line = new SharedLine(this.#channel, this.#pending, options.logger, {
      finished: (id, job) => this.settle(id, outcomeOf(job)),
      lost: (id) => this.#lost(id),
    });
    this.#refreshTimer = setInterval(() => void this.#line.refresh(), options.refreshMs);
    this.#refreshTimer.unref();
  }

  /**
   * Every admitted job is at once in Redis: the shell's line only counts and times them. Its
   * concurrency is the shared line's bound plus room for the jobs workers hold (they have left
   * the wait list): the bound, not this, is what refuses.
   */
  lineLimits(limits: QueueLimits): QueueLimits {
    return { ...limits, concurrency: limits.maxWaiting + RUNNING_ROOM, maxWaiting: 0 };
  }

  runners(): number {
    return this.#line.workers.count;
  }

  /** Whether Redis answers (its connection is up and the last look at the queue worked). */
  available(): boolean {
    return !this.#closed && this.#line.reachable && this.#channel.ready;
  }

  checkRoom(reserved: number): void {
    // Redis is away: a clear "send it again shortly", before anything is downloaded.
    if (!this.available()) throw new ToonError('UNAVAILABLE');
    this.#line.checkRoom(reserved, this.#maxWaiting);
  }

  stats(local: QueueStats): QueueStats {
    return this.#line.stats(local);
  }

  providers(): string[] {
    return this.#line.workers.providers;
  }

  /** Waits for Redis, then reads the line and the workers once. */
  async warmup(_models: ModelEntry[]): Promise<void> {
    await this.#channel.waitUntilReady();
    await this.#line.refresh();
    this.#log.info('scale-out: connected to the queue', { instance: this.instance, workers: this.#line.workers.count, waiting: this.#line.waiting });
  }

  /** Photo to Redis, job to the queue, wait for a worker, cartoon back; cleans up after itself. */
  async run(job: BackendJob, { signal, onPosition, onProgress, onDurable }: BackendContext): Promise<JobOutput> {
    const id = randomUUID();
    const done = new Promise<JobReturn>((resolve, reject) =>
      this.#pending.set(id, { resolve, reject, ...(onPosition ? { onPosition } : {}), ...(onProgress ? { onProgress } : {}), addedAt: Date.now() }),
    );
    done.catch(() => undefined);
    const abandon = () => {
      const withdrawal = this.#abandon(id, signal.reason);
      this.#withdrawals.add(withdrawal);
      void withdrawal.finally(() => this.#withdrawals.delete(withdrawal));
    };
    signal.addEventListener('abort', abandon, { once: true });
    try {
      const data: JobData = {
        producer: this.instance,
        requester: job.requester,
        options: job.options,
        includeFaces: job.includeFaces,
        deadlineAt: job.deadlineAt,
        ...(job.replyTo ? { replyTo: job.replyTo } : {}),
        // The worker plans the clip again from the same request and options: the same size and frames.
        ...(job.clip ? { clip: { format: job.clip.format, square: job.clip.square, maxSeconds: CLIP_LIMITS.maxSeconds, sound: job.clip.sound === true } } : {}),
      };
      await this.#channel.add(id, job.image, data);
      onDurable?.();
      this.#line.moved();
      const { result } = await done;
      const taken = await this.#take(id, true);
      if (!taken) throw new ToonError('CANCELLED', { message: 'Already answered elsewhere.' });
      const { image } = taken;
      if (!image) throw new ToonError('INTERNAL', { message: 'The cartoon was not found in Redis.', detail: { jobId: id } });
      return { image, tiles: result.tiles, timings: result.timings, ...(result.portrait ? { portrait: result.portrait } : {}), ...(result.clip ? { clip: result.clip } : {}) };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!isToonError(error)) throw new ToonError('INTERNAL', { message: 'The job queue (Redis) failed.', cause: error });
      // A failed job is answered here, with its error.
      await this.#take(id, false).catch(() => undefined);
      throw error;
    } finally {
      signal.removeEventListener('abort', abandon);
      this.#pending.delete(id);
    }
  }

  /** A worker's progress report on a clip, passed to its caller. */
  #progress(id: string, data: unknown): void {
    const progress = data as Partial<Progress> | undefined;
    if (typeof progress?.frame !== 'number' || typeof progress.frames !== 'number') return;
    try {
      this.#pending.get(id)?.onProgress?.({ frame: progress.frame, frames: progress.frames });
    } catch {
      // A failing progress callback (a platform edit) must not hurt the job.
    }
  }

  /** A job's end, from the queue's events or a later look: its waiting caller is answered. */
  settle(jobId: string, outcome: Finished): void {
    const pending = this.#pending.get(jobId);
    this.#line.moved();
    if (!pending) return;
    this.#pending.delete(jobId);
    if (outcome.failedReason !== undefined) return pending.reject(decodeError(outcome.failedReason));
    const value = returnOf(outcome);
    if (!value?.result) return pending.reject(new ToonError('INTERNAL', { message: 'The worker returned nothing.' }));
    pending.resolve(value);
  }

  /** Live workers, from their heartbeats. */
  workers(): number {
    return this.#line.workers.count;
  }

  /**
   * Takes back this instance's jobs left from before a restart (same TOONBOT_INSTANCE): finished
   * ones are answered now through `answerLater`, unfinished ones when they finish. Jobs without an
   * address (the studio's page is gone with its connection) are only cleaned up. Returns how many.
   */
  async recover(answerLater: AnswerLater): Promise<number> {
    let taken = 0;
    for (const job of await this.#channel.allJobs()) {
      const id = job.id as string;
      if (job.data.producer !== this.instance || this.#pending.has(id)) continue;
      taken += 1;
      if (job.finishedOn !== undefined) {
        void this.#answerRecovered(job, outcomeOf(job), answerLater);
        continue;
      }
      const done = new Promise<JobReturn>((resolve, reject) => this.#pending.set(id, { resolve, reject, addedAt: Date.now() }));
      void done.then(
        (returnvalue) => this.#answerRecovered(job, { returnvalue }, answerLater),
        (error: unknown) => this.#answerRecovered(job, { error: toToonError(error) }, answerLater),
      );
    }
    if (taken > 0) this.#log.info('scale-out: took back jobs from before the restart', { jobs: taken });
    return taken;
  }

  async #answerRecovered(job: QueuedJob, outcome: Finished & { error?: ToonError }, answerLater: AnswerLater): Promise<void> {
    const id = job.id as string;
    try {
      const failed = outcome.error ?? (outcome.failedReason !== undefined ? decodeError(outcome.failedReason) : undefined);
      const taken = await this.#take(id, !failed);
      if (!taken) return;
      const value = returnOf(outcome);
      const late: LateOutcome = failed ? { error: failed } : taken.image && value?.result ? { result: { ...value.result, image: taken.image } } : { error: new ToonError('SHUTTING_DOWN') };
      const replyTo = job.data.replyTo;
      if (replyTo) await answerLater(replyTo, late);
      this.#log.info('scale-out: answered a job from before the restart', { jobId: id, platform: replyTo?.platform ?? 'none', outcome: 'result' in late ? 'done' : late.error.code });
    } catch (error) {
      this.#log.warn('scale-out: could not answer a job from before the restart', { jobId: id, error: error instanceof Error ? error.message : String(error) });
      await this.#channel.forget(id).catch(() => undefined);
    }
  }

  /**
   * A finished job's answer, taken out of Redis once across processes: undefined when another
   * process has answered it; else its cartoon (when `withImage`), and Redis cleaned up after it.
   * The one order for every way a job ends here: claim, read, forget.
   */
  async #take(id: string, withImage: boolean): Promise<{ image?: Buffer } | undefined> {
    if (!(await this.#channel.claim(id))) return undefined;
    try {
      const image = withImage ? await this.#channel.output(id) : undefined;
      return image ? { image } : {};
    } finally {
      await this.#channel.forget(id);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#withdrawals]);
    clearInterval(this.#refreshTimer);
    this.#closed = true;
    this.#line.stop();
    for (const [id, pending] of this.#pending) {
      pending.reject(new ToonError('SHUTTING_DOWN'));
      this.#pending.delete(id);
    }
    await this.#channel.close();
  }

  /** The job was cancelled or timed out here: out of the line if it still waits, never answered later. */
  async #abandon(id: string, reason: unknown): Promise<void> {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    pending?.reject(toToonError(reason));
    try {
      await this.#channel.claim(id);
      // One that is running is left to finish; its hash and keys expire.
      if ((await this.#channel.withdraw(id)) !== 'active') await this.#channel.forget(id);
    } catch (error) {
      this.#log.warn('scale-out: could not withdraw a job', { jobId: id, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** A job Redis no longer has: answered at once, as one to send again. */
  #lost(jobId: string): void {
    const pending = this.#pending.get(jobId);
    if (!pending) return;
    this.#pending.delete(jobId);
    this.#log.warn('scale-out: a job was lost by Redis', { jobId });
    pending.reject(new ToonError('UNAVAILABLE', { message: 'The job queue lost this job (Redis restarted without its data).', detail: { jobId } }));
  }
}

/** A finished job's outcome, as its hash has it. */
function outcomeOf(job: QueuedJob): Finished {
  return job.failedReason ? { failedReason: job.failedReason } : { returnvalue: job.returnvalue };
}

/** The return value, whether the events stream gave it as JSON text or BullMQ as an object. */
function returnOf(outcome: Finished): JobReturn | undefined {
  return (typeof outcome.returnvalue === 'string' ? JSON.parse(outcome.returnvalue) : outcome.returnvalue) as JobReturn | undefined;
}
