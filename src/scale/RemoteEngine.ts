/**
 * The engine of a bot process in scale-out mode (TOONBOT_REDIS_URL): the same `Engine` the
 * adapters use, but the models run on GPU workers (`toonbot worker`) that take jobs from a BullMQ
 * queue on Redis. Here stay option parsing, the image header check and admission (the line's
 * bound, the per-user cap, deadlines), as in the embedded engine; a local JobQueue does the
 * accounting (caps, deadlines, cancellation), and each of its tasks is one round trip through Redis.
 *
 * - The photo goes to Redis as a binary string with a TTL, the job carries its key; the worker
 *   puts the cartoon under another key. Both are deleted once the job is answered, and so is the
 *   finished job: Redis goes back to where it was.
 * - The place in line is the job's index in BullMQ's wait list, read again whenever any worker
 *   takes or finishes a job.
 * - Whoever answers a job first sets its `answered` key (SET NX): nothing is answered twice. A
 *   restarted producer (same TOONBOT_INSTANCE) takes back its jobs: finished ones are answered
 *   through the adapters' `answerLater`, unfinished ones when they finish.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  Admission,
  openTicket,
  DEFAULT_ENGINE_CONFIG,
  isToonError,
  JobQueue,
  listedStyles,
  loadManifests,
  parseOptions,
  probeImage,
  ToonError,
  toToonError,
  type CartoonOptions,
  type CartoonRequest,
  type CartoonResult,
  type Engine,
  type EngineOptions,
  type ImageLimits,
  type JobEvent,
  type LateOutcome,
  type Logger,
  type ModelEntry,
  type QueueStats,
  type ReplyAddress,
  type RawOptions,
  type StyleInfo,
  type SubmitOptions,
  type Ticket,
} from '../engine/expert.ts';
import { Connections, decodeError, keys, QUEUE_NAME, type JobData, type JobReturn } from './protocol.ts';

interface RemoteEngineOptions {
  redisUrl: string;
  /** This producer's name: a restarted one takes back the jobs of the same name. @default 'bot' */
  instance?: string;
  engine: EngineOptions;
  /** How often the line's counts and the workers are read when no event says so. @default 2000 */
  refreshMs?: number;
}

type AnswerLater = (replyTo: ReplyAddress, outcome: LateOutcome) => Promise<void>;

interface Pending {
  resolve: (value: JobReturn) => void;
  reject: (error: ToonError) => void;
  onPosition?: (position: number) => void;
  position?: number;
  addedAt: number;
}

/** A finished job's hash is kept this long (for a producer that restarts); answered ones are removed at once. */
const KEEP_FINISHED_S = 3600;
/** The events stream is only read live (missed events are caught by polling): keep it short. */
const EVENTS_MAX_LEN = 500;
/** The cartoon's key outlives the job's deadline by this much, for a producer that restarts. */
const RESULT_GRACE_MS = 10 * 60_000;

export async function createRemoteEngine(options: RemoteEngineOptions): Promise<RemoteEngine> {
  const modelsDir = options.engine.modelsDir ?? DEFAULT_ENGINE_CONFIG.modelsDir;
  const models = options.engine.models ?? (await loadManifests(modelsDir));
  const engine = new RemoteEngine(options, models);
  return engine;
}

export class RemoteEngine implements Engine {
  readonly limits: Readonly<ImageLimits>;
  readonly defaultStyle: string;
  readonly instance: string;
  readonly #models: ModelEntry[];
  readonly #log: Logger;
  readonly #onJob: ((event: JobEvent) => void) | undefined;
  readonly #deadlineMs: number;
  readonly #maxWaiting: number;
  readonly #line: JobQueue;
  readonly #connections: Connections;
  readonly #redis: Redis;
  readonly #queue: Queue<JobData, JobReturn>;
  readonly #events: QueueEvents;
  readonly #pending = new Map<string, Pending>();
  readonly #admission = new Admission();
  /** Jobs being taken out of Redis (cancelled, timed out): close() waits for them. */
  readonly #withdrawals = new Set<Promise<void>>();
  #counts = { waiting: 0, active: 0 };
  #workers: { count: number; providers: string[] } = { count: 0, providers: [] };
  #refreshTimer: NodeJS.Timeout | undefined;
  #positionsQueued = false;
  #answerLater: AnswerLater | undefined;
  #closing = false;
  #closed = false;
  /** The last look at the queue worked (it is read every refreshMs). */
  #reachable = true;

  constructor(options: RemoteEngineOptions, models: ModelEntry[]) {
    const e = options.engine;
    this.instance = options.instance ?? 'bot';
    this.#models = models;
    this.limits = Object.freeze({ ...DEFAULT_ENGINE_CONFIG.limits, ...e.limits });
    this.defaultStyle = e.defaultStyle ?? DEFAULT_ENGINE_CONFIG.defaultStyle;
    this.#log = e.logger ?? DEFAULT_ENGINE_CONFIG.logger;
    this.#onJob = e.onJob;
    const queue = { ...DEFAULT_ENGINE_CONFIG.queue, ...e.queue };
    this.#deadlineMs = queue.deadlineMs;
    this.#maxWaiting = queue.maxWaiting;
    // Every admitted job is at once in Redis: the local line only counts and times them.
    this.#line = new JobQueue({ ...queue, concurrency: queue.maxWaiting + 64, maxWaiting: 0 });
    this.#connections = new Connections(options.redisUrl, this.#log);
    this.#redis = this.#connections.open('commands');
    this.#queue = new Queue<JobData, JobReturn>(QUEUE_NAME, { connection: this.#connections.open('commands'), streams: { events: { maxLen: EVENTS_MAX_LEN } } });
    this.#events = new QueueEvents(QUEUE_NAME, { connection: this.#connections.open('blocking') });
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#settle(jobId, { returnvalue }));
    this.#events.on('failed', ({ jobId, failedReason }) => this.#settle(jobId, { failedReason }));
    this.#events.on('active', ({ jobId }) => {
      const pending = this.#pending.get(jobId);
      if (pending) this.#tell(pending, 0);
      this.#queuePositions();
    });
    this.#events.on('waiting', () => this.#queuePositions());
    this.#events.on('removed', () => this.#queuePositions());
    // Connection errors are logged by Connections; these only need a listener.
    this.#queue.on('error', () => undefined);
    this.#events.on('error', () => undefined);
    this.#refreshTimer = setInterval(() => void this.#refresh(), options.refreshMs ?? 2000);
    this.#refreshTimer.unref();
  }

  styles(): StyleInfo[] {
    return listedStyles(this.#models);
  }

  parseOptions(raw?: RawOptions, defaults: Partial<CartoonOptions> = {}): CartoonOptions {
    return parseOptions(raw, this.styles().map((s) => s.id), { style: this.defaultStyle, ...defaults });
  }

  admit(jobs: number, withinMs: number): void {
    if (this.#closing) throw new ToonError('SHUTTING_DOWN');
    this.#admission.check(this.stats(), jobs, withinMs, this.#workers.count);
  }

  reserve(requester: string): Ticket {
    this.#checkRoom(requester);
    return openTicket(
      () => this.#line.reserve(requester),
      (outcome) => this.#report({ requester, style: this.defaultStyle, outcome }),
      (request, options, reservation) => this.#submit({ ...request, requester }, options, (task, jobOptions) => reservation.submit(task, jobOptions)),
    );
  }

  submit(request: CartoonRequest, options: SubmitOptions = {}): Promise<CartoonResult> {
    try {
      this.#checkRoom(request.requester ?? 'anonymous');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#submit(request, options, (task, jobOptions) => this.#line.submit(task, { requester: request.requester ?? 'anonymous', ...jobOptions }));
  }

  cancelAll(): void {
    this.#closing = true;
    this.#line.cancelAll(new ToonError('SHUTTING_DOWN'));
  }

  /** Waits for Redis, then reads the line and the workers once. */
  async warmup(): Promise<void> {
    await Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady(), this.#redis.ping()]);
    await this.#refresh();
    this.#log.info('scale-out: connected to the queue', { instance: this.instance, workers: this.#workers.count, waiting: this.#counts.waiting });
  }

  stats(): QueueStats {
    const local = this.#line.stats();
    return { ...local, waiting: Math.max(this.#counts.waiting, this.#mineWaiting()), running: this.#counts.active };
  }

  /** The providers the live workers run on. */
  available(): boolean {
    return !this.#closing && this.#reachable && this.#redis.status === 'ready';
  }

  providers(): string[] {
    return this.#workers.providers;
  }

  /** Live workers, from their heartbeats. */
  workers(): number {
    return this.#workers.count;
  }

  /**
   * Takes back this instance's jobs left from before a restart: finished ones are answered now
   * through `answerLater`, unfinished ones when they finish. Jobs without an address (the studio's
   * page is gone with its connection) are only cleaned up.
   */
  async recover(answerLater: AnswerLater): Promise<number> {
    this.#answerLater = answerLater;
    const jobs = await this.#queue.getJobs(['completed', 'failed', 'active', 'wait', 'delayed', 'paused']);
    let taken = 0;
    for (const job of jobs) {
      if (!job?.id || job.data.producer !== this.instance || this.#pending.has(job.id)) continue;
      taken += 1;
      const id = job.id;
      const finished = job.finishedOn !== undefined;
      if (finished) void this.#answerRecovered(job, job.failedReason ? { failedReason: job.failedReason } : { returnvalue: job.returnvalue });
      else {
        const done = new Promise<JobReturn>((resolve, reject) => this.#pending.set(id, { resolve, reject, addedAt: Date.now() }));
        void done.then(
          (returnvalue) => this.#answerRecovered(job, { returnvalue }),
          (error: unknown) => this.#answerRecovered(job, { error: toToonError(error) }),
        );
      }
    }
    if (taken > 0) this.#log.info('scale-out: took back jobs from before the restart', { jobs: taken });
    return taken;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#line.close();
    await Promise.allSettled([...this.#withdrawals]);
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#closed = true;
    for (const [id, pending] of this.#pending) {
      pending.reject(new ToonError('SHUTTING_DOWN'));
      this.#pending.delete(id);
    }
    await Promise.allSettled([this.#events.close(), this.#queue.close()]);
    this.#connections.closeAll();
  }

  // --- one job ---------------------------------------------------------------------------------

  async #submit(request: CartoonRequest, options: SubmitOptions, enqueue: (task: (context: { signal: AbortSignal; queuedMs: number }) => Promise<CartoonResult>, jobOptions: Omit<SubmitOptions, 'onPosition'> & { deadlineMs?: number }) => Promise<CartoonResult>): Promise<CartoonResult> {
    const requester = request.requester ?? 'anonymous';
    const started = performance.now();
    let style = typeof request.options?.style === 'string' ? request.options.style : this.defaultStyle;
    try {
      if (this.#closing) throw new ToonError('SHUTTING_DOWN');
      const opts = parseOptions(request.options, this.#models.map((m) => m.manifest.id), { style: this.defaultStyle });
      style = opts.style;
      // The header check stays here: a bad file never reaches Redis.
      await probeImage(request.image, this.limits);
      const deadlineMs = Math.min(request.deadlineMs ?? this.#deadlineMs, this.#deadlineMs);
      const deadlineAt = Date.now() + deadlineMs;
      const result = await enqueue((context) => this.#roundTrip(request, opts, deadlineAt, context.signal, options.onPosition), {
        ...(options.signal ? { signal: options.signal } : {}),
        deadlineMs,
      });
      const processing = result.timings.decode + result.timings.inference + result.timings.encode;
      const total = performance.now() - started;
      const timings = { ...result.timings, queued: Math.round(Math.max(0, total - processing) * 10) / 10, total: Math.round(total * 10) / 10 };
      this.#report({ requester, style, outcome: 'done', waitMs: timings.queued, processingMs: processing });
      return { ...result, timings };
    } catch (error) {
      const failure = toToonError(error);
      if (failure.code === 'INTERNAL') this.#log.error('scale-out job failed', { error: failure.cause ?? failure, detail: failure.detail });
      this.#report({ requester, style, outcome: failure.code });
      throw failure;
    }
  }

  /** Photo to Redis, job to the queue, wait for a worker, cartoon back; cleans up after itself. */
  async #roundTrip(request: CartoonRequest, options: CartoonOptions, deadlineAt: number, signal: AbortSignal, onPosition?: (position: number) => void): Promise<CartoonResult> {
    const id = randomUUID();
    const done = new Promise<JobReturn>((resolve, reject) => this.#pending.set(id, { resolve, reject, ...(onPosition ? { onPosition } : {}), addedAt: Date.now() }));
    done.catch(() => undefined);
    const abandon = () => {
      const withdrawal = this.#abandon(id, signal.reason);
      this.#withdrawals.add(withdrawal);
      void withdrawal.finally(() => this.#withdrawals.delete(withdrawal));
    };
    signal.addEventListener('abort', abandon, { once: true });
    try {
      await this.#redis.set(keys.input(id), Buffer.from(request.image.buffer, request.image.byteOffset, request.image.byteLength), 'PX', Math.max(1000, deadlineAt - Date.now()) + RESULT_GRACE_MS);
      const data: JobData = { producer: this.instance, requester: request.requester ?? 'anonymous', options, includeFaces: request.includeFaces === true, deadlineAt, ...(request.replyTo ? { replyTo: request.replyTo } : {}) };
      await this.#queue.add('cartoon', data, { jobId: id, attempts: 1, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } });
      this.#queuePositions();
      const { result } = await done;
      this.#admission.done(result.timings.decode + result.timings.inference + result.timings.encode);
      const image = await this.#redis.getBuffer(keys.output(id));
      if (!image) throw new ToonError('INTERNAL', { message: 'The cartoon was not found in Redis.', detail: { jobId: id } });
      if (!(await this.#claim(id))) throw new ToonError('CANCELLED', { message: 'Already answered elsewhere.' });
      await this.#forget(id);
      return { ...result, image };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!isToonError(error)) throw new ToonError('INTERNAL', { message: 'The job queue (Redis) failed.', cause: error });
      // A failed job is answered here, with its error.
      if (await this.#claim(id).catch(() => false)) await this.#forget(id).catch(() => undefined);
      throw error;
    } finally {
      signal.removeEventListener('abort', abandon);
      this.#pending.delete(id);
    }
  }

  /** The job was cancelled or timed out here: out of the line if it still waits, never answered later. */
  async #abandon(id: string, reason: unknown): Promise<void> {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    pending?.reject(toToonError(reason));
    try {
      await this.#claim(id);
      const job = await this.#queue.getJob(id);
      const state = await job?.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await job?.remove();
      // One that is running is left to finish; its hash and keys expire.
      if (state !== 'active') await this.#forget(id);
    } catch (error) {
      this.#log.warn('scale-out: could not withdraw a job', { jobId: id, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Whether this caller is the one to answer the job (and no one else will). */
  async #claim(id: string): Promise<boolean> {
    return (await this.#redis.set(keys.answered(id), this.instance, 'EX', KEEP_FINISHED_S, 'NX')) === 'OK';
  }

  /** Removes an answered job and its images. */
  async #forget(id: string): Promise<void> {
    await this.#queue.remove(id).catch(() => 0);
    await this.#redis.del(keys.input(id), keys.output(id), keys.answered(id));
  }

  /** A job Redis no longer has: answered at once, as one to send again. */
  #lost(jobId: string): void {
    const pending = this.#pending.get(jobId);
    if (!pending) return;
    this.#pending.delete(jobId);
    this.#log.warn('scale-out: a job was lost by Redis', { jobId });
    pending.reject(new ToonError('UNAVAILABLE', { message: 'The job queue lost this job (Redis restarted without its data).', detail: { jobId } }));
  }

  #settle(jobId: string, outcome: { returnvalue?: unknown; failedReason?: string }): void {
    const pending = this.#pending.get(jobId);
    this.#queuePositions();
    if (!pending) return;
    this.#pending.delete(jobId);
    if (outcome.failedReason !== undefined) return pending.reject(decodeError(outcome.failedReason));
    const value = typeof outcome.returnvalue === 'string' ? (JSON.parse(outcome.returnvalue) as JobReturn) : (outcome.returnvalue as JobReturn);
    if (!value?.result) return pending.reject(new ToonError('INTERNAL', { message: 'The worker returned nothing.' }));
    pending.resolve(value);
  }

  async #answerRecovered(job: Job<JobData, JobReturn>, outcome: { returnvalue?: unknown; failedReason?: string | undefined; error?: ToonError }): Promise<void> {
    const id = job.id as string;
    try {
      if (!(await this.#claim(id))) return;
      const replyTo = job.data.replyTo;
      let late: LateOutcome;
      if (outcome.error || outcome.failedReason !== undefined) late = { error: outcome.error ?? decodeError(outcome.failedReason) };
      else {
        const value = (typeof outcome.returnvalue === 'string' ? JSON.parse(outcome.returnvalue) : outcome.returnvalue) as JobReturn;
        const image = await this.#redis.getBuffer(keys.output(id));
        late = image && value?.result ? { result: { ...value.result, image } } : { error: new ToonError('SHUTTING_DOWN') };
      }
      if (replyTo && this.#answerLater) await this.#answerLater(replyTo, late);
      this.#log.info('scale-out: answered a job from before the restart', { jobId: id, platform: replyTo?.platform ?? 'none', outcome: 'result' in late ? 'done' : late.error.code });
    } catch (error) {
      this.#log.warn('scale-out: could not answer a job from before the restart', { jobId: id, error: error instanceof Error ? error.message : String(error) });
    } finally {
      await this.#forget(id).catch(() => undefined);
    }
  }

  // --- the line as users see it ----------------------------------------------------------------

  /** Refuses when the shared line (all producers' jobs in Redis) is at its bound. */
  #checkRoom(requester: string): void {
    if (this.#closing) throw new ToonError('SHUTTING_DOWN');
    if (!this.available()) {
      // Redis is away: a clear "send it again shortly", before anything is downloaded.
      this.#report({ requester, style: this.defaultStyle, outcome: 'UNAVAILABLE' });
      throw new ToonError('UNAVAILABLE');
    }
    const waiting = Math.max(this.#counts.waiting, this.#mineWaiting()) + this.#line.stats().reserved;
    if (waiting >= this.#maxWaiting + Math.max(1, this.#workers.count)) {
      this.#report({ requester, style: this.defaultStyle, outcome: 'QUEUE_FULL' });
      throw new ToonError('QUEUE_FULL', { detail: { waiting, workers: this.#workers.count } });
    }
  }

  #mineWaiting(): number {
    let n = 0;
    for (const p of this.#pending.values()) if (p.position !== 0) n += 1;
    return n;
  }

  /** Reads the wait list once soon, however many events asked. */
  #queuePositions(): void {
    if (this.#positionsQueued || this.#closing) return;
    this.#positionsQueued = true;
    setTimeout(() => {
      this.#positionsQueued = false;
      void this.#positions();
    }, 50);
  }

  async #positions(): Promise<void> {
    if (this.#closed) return;
    const waiting = [...this.#pending.entries()].filter(([, p]) => p.position !== 0);
    try {
      const [ids, counts] = await Promise.all([this.#queue.getRanges(['wait', 'prioritized'], 0, -1, true), this.#queue.getJobCounts('active')]);
      this.#counts = { waiting: ids.length, active: counts.active ?? 0 };
      for (const [id, pending] of waiting) {
        const index = ids.indexOf(id);
        if (index >= 0) this.#tell(pending, index + 1);
      }
    } catch (error) {
      this.#log.warn('scale-out: could not read the line', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  #tell(pending: Pending, position: number): void {
    if (pending.position === position || pending.position === 0) return;
    pending.position = position;
    try {
      pending.onPosition?.(position);
    } catch {
      // an observer's failure is its own
    }
  }

  /** Counts, live workers, and jobs whose events were missed (a dropped connection). */
  async #refresh(): Promise<void> {
    if (this.#closed) return;
    try {
      const counts = await this.#queue.getJobCounts('wait', 'active', 'prioritized');
      this.#counts = { waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0 };
      const workerKeys = await scan(this.#redis, keys.workers);
      const beats = workerKeys.length > 0 ? await this.#redis.mget(...workerKeys) : [];
      const providers = new Set<string>();
      for (const beat of beats) for (const p of (beat ? (JSON.parse(beat) as { providers?: string[] }).providers : undefined) ?? []) providers.add(p);
      this.#workers = { count: beats.filter(Boolean).length, providers: [...providers] };
      this.#reachable = true;
      const now = Date.now();
      for (const [id, pending] of this.#pending) {
        if (now - pending.addedAt < 3000) continue;
        const job = await this.#queue.getJob(id);
        if (job?.finishedOn !== undefined) this.#settle(id, job.failedReason ? { failedReason: job.failedReason } : { returnvalue: job.returnvalue });
        // Gone from Redis (it restarted without its data): nobody will run it; say so now, not at the deadline.
        else if (!job) this.#lost(id);
      }
      if (this.#pending.size > 0) void this.#positions();
    } catch (error) {
      this.#reachable = false;
      this.#log.warn('scale-out: could not read the queue', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  #report(event: JobEvent): void {
    try {
      this.#onJob?.(event);
    } catch (error) {
      this.#log.warn('job observer failed', { error });
    }
  }
}

async function scan(redis: Redis, match: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 200);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}
