/**
 * The bot process's channel to the GPU workers: the BullMQ queue and its events, and the Redis
 * keys beside it (photos in, cartoons out, who answered a job, workers' heartbeats).
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../engine/expert.ts';
import { Connections, keys, QUEUE_NAME, type JobData, type JobReturn } from './protocol.ts';

/** A finished job's hash is kept this long (for a producer that restarts); answered ones are removed at once. */
const KEEP_FINISHED_S = 3600;
/** The events stream is only read live (missed events are caught by polling): keep it short. */
const EVENTS_MAX_LEN = 500;
/** The cartoon's key outlives the job's deadline by this much, for a producer that restarts. */
const RESULT_GRACE_MS = 10 * 60_000;

export type QueuedJob = Job<JobData, JobReturn>;

/** What the queue's events say, by job id. */
export interface ChannelEvents {
  finished(jobId: string, outcome: { returnvalue?: unknown; failedReason?: string }): void;
  started(jobId: string): void;
  /** A worker's word on a running clip: its frames drawn so far. */
  progress(jobId: string, data: unknown): void;
  /** The wait list changed (a job added, taken or removed). */
  moved(): void;
}

/**
 * A job that fails with a plain error (Redis away while a worker read or wrote it) is tried again,
 * 1 s then 2 s later; the engine's refusals are final (worker.ts), and a job whose worker dies
 * twice fails on its stall count, whatever its attempts.
 */
const RETRIES = { attempts: 3, backoff: { type: 'exponential', delay: 1000 } } as const;

export class JobChannel {
  readonly #connections: Connections;
  readonly #redis: Redis;
  readonly #queue: Queue<JobData, JobReturn>;
  readonly #events: QueueEvents;

  constructor(
    redisUrl: string,
    log: Logger,
    /** This producer's name, written on whatever it answers. */
    private readonly instance: string,
    on: ChannelEvents,
  ) {
    this.#connections = new Connections(redisUrl, log);
    this.#redis = this.#connections.open('commands');
    this.#queue = new Queue<JobData, JobReturn>(QUEUE_NAME, { connection: this.#connections.open('commands'), streams: { events: { maxLen: EVENTS_MAX_LEN } } });
    this.#events = new QueueEvents(QUEUE_NAME, { connection: this.#connections.open('blocking') });
    this.#events.on('completed', ({ jobId, returnvalue }) => on.finished(jobId, { returnvalue }));
    this.#events.on('failed', ({ jobId, failedReason }) => on.finished(jobId, { failedReason }));
    this.#events.on('active', ({ jobId }) => on.started(jobId));
    this.#events.on('progress', ({ jobId, data }) => on.progress(jobId, data));
    this.#events.on('waiting', () => on.moved());
    this.#events.on('removed', () => on.moved());
    // Connection errors are logged by Connections; these only need a listener.
    this.#queue.on('error', () => undefined);
    this.#events.on('error', () => undefined);
  }

  /** Whether the command connection is up. */
  get ready(): boolean {
    return this.#redis.status === 'ready';
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady(), this.#redis.ping()]);
  }

  /** The photo under its key (until the deadline and a grace), then the job in line. */
  async add(id: string, image: Uint8Array, data: JobData): Promise<void> {
    const ttl = Math.max(1000, data.deadlineAt - Date.now()) + RESULT_GRACE_MS;
    await this.#redis.set(keys.input(id), Buffer.from(image.buffer, image.byteOffset, image.byteLength), 'PX', ttl);
    await this.#queue.add('cartoon', data, { jobId: id, ...RETRIES, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } });
  }

  /** The cartoon a worker left for the job, if it is still there. */
  output(id: string): Promise<Buffer | null> {
    return this.#redis.getBuffer(keys.output(id));
  }

  /** Whether this caller is the one to answer the job (and no one else will). */
  async claim(id: string): Promise<boolean> {
    return (await this.#redis.set(keys.answered(id), this.instance, 'EX', KEEP_FINISHED_S, 'NX')) === 'OK';
  }

  /** Removes an answered job and its images. */
  async forget(id: string): Promise<void> {
    await this.#queue.remove(id).catch(() => 0);
    await this.#redis.del(keys.input(id), keys.output(id), keys.answered(id));
  }

  /** Takes a job out of the line if it still waits; one running is left to finish. Returns its state. */
  async withdraw(id: string): Promise<string | undefined> {
    const job = await this.#queue.getJob(id);
    const state = await job?.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await job?.remove();
    return state;
  }

  getJob(id: string): Promise<QueuedJob | undefined> {
    return this.#queue.getJob(id);
  }

  /** Every job Redis still has, finished or not (a restarted producer looks for its own). */
  async allJobs(): Promise<QueuedJob[]> {
    return (await this.#queue.getJobs(['completed', 'failed', 'active', 'wait', 'delayed', 'paused'])).filter((job): job is QueuedJob => Boolean(job?.id));
  }

  /** The ids waiting, in order (next first), and how many jobs run. */
  async line(): Promise<{ waiting: string[]; active: number }> {
    const [waiting, counts] = await Promise.all([this.#queue.getRanges(['wait', 'prioritized'], 0, -1, true), this.#queue.getJobCounts('active')]);
    return { waiting, active: counts.active ?? 0 };
  }

  async counts(): Promise<{ waiting: number; active: number }> {
    const counts = await this.#queue.getJobCounts('wait', 'active', 'prioritized');
    return { waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0 };
  }

  /** The live workers' heartbeats: how many, and the providers they run on. */
  async workers(): Promise<{ count: number; providers: string[] }> {
    const workerKeys = await scan(this.#redis, keys.workers);
    const beats = workerKeys.length > 0 ? await this.#redis.mget(...workerKeys) : [];
    const providers = new Set<string>();
    for (const beat of beats) for (const p of (beat ? (JSON.parse(beat) as { providers?: string[] }).providers : undefined) ?? []) providers.add(p);
    return { count: beats.filter(Boolean).length, providers: [...providers] };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#events.close(), this.#queue.close()]);
    this.#connections.closeAll();
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
