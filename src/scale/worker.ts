/**
 * A GPU worker (`toonbot worker`): the engine, on jobs from the shared BullMQ queue, one at a time.
 * Any number of them, on any machines that reach the Redis server; one per GPU.
 *
 * A worker that dies mid-job (kill -9, a lost machine) stops renewing the job's lock; another
 * worker's stalled-job check puts the job back in line once (maxStalledCount 1), and a second
 * stall fails it, which the bot answers with an error.
 *
 * Redis going away mid-job (a restart, a failover) does not cost the job: the cartoon's write is
 * tried again until Redis is back (up to OUTPUT_WRITE_MS), and a job that still cannot be read or
 * written fails with a plain error, which BullMQ retries (channel.ts: attempts), unlike the
 * engine's own refusals (a corrupt photo, a timeout), which are final.
 */
import os from 'node:os';
import { UnrecoverableError, Worker } from 'bullmq';
import { createEngine, ToonError, toToonError, type Engine, type EngineOptions, type Logger } from '../engine/index.ts';
import { Connections, encodeError, keys, QUEUE_NAME, type JobData, type JobReturn } from './protocol.ts';

interface WorkerOptions {
  redisUrl: string;
  engine: EngineOptions;
  log: Logger;
  /** Shown in logs and the heartbeat. @default host:pid */
  name?: string;
  /** How long a job's lock lasts without renewal: a dead worker's job is taken back after about this. @default 30000 */
  lockMs?: number;
  /** How often this worker looks for stalled jobs. @default 30000 */
  stalledCheckMs?: number;
}

export interface RunningWorker {
  readonly name: string;
  readonly engine: Engine;
  /** Finishes the job in hand, then disconnects. */
  close(): Promise<void>;
}

/** The cartoon waits this long for the bot to fetch it (a restarting bot included). */
const OUTPUT_TTL_MS = 15 * 60_000;
const HEARTBEAT_MS = 5000;
/**
 * This worker's own line: one job at a time, one taken next. The shared line in Redis keeps the
 * caps; here one requester may have both (the running job and the next), so the cap is 2.
 */
const OWN_LINE = { concurrency: 1, maxWaiting: 1, perRequester: 2 } as const;

/** How long a finished cartoon's write is tried again while Redis is away. */
const OUTPUT_WRITE_MS = 60_000;

/** An error BullMQ must not retry: the engine's answer, encoded for the bot. */
function final(error: unknown): UnrecoverableError {
  return new UnrecoverableError(encodeError(toToonError(error)));
}

/** Runs `write` until it succeeds, waiting longer between tries (0.25 s up to 4 s), for up to OUTPUT_WRITE_MS. */
async function keepTrying(what: string, log: Logger, write: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + OUTPUT_WRITE_MS;
  for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
    try {
      await write();
      return;
    } catch (error) {
      if (Date.now() + wait > deadline) throw error instanceof Error ? error : new Error(String(error));
      log.warn(`could not write ${what} (Redis away?): trying again`, { inMs: wait, error: error instanceof Error ? error.message : String(error) });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { log } = options;
  const name = options.name ?? `${os.hostname()}:${process.pid}`;
  const engine = await createEngine({
    ...options.engine,
    logger: log,
    queue: { ...options.engine.queue, ...OWN_LINE },
  });
  await engine.warmup();
  const connections = new Connections(options.redisUrl, log);
  const redis = connections.open('commands');

  const worker = new Worker<JobData, JobReturn>(
    QUEUE_NAME,
    async (job) => {
      const id = job.id as string;
      const left = job.data.deadlineAt - Date.now();
      log.info('job started', { jobId: id, attempt: job.attemptsStarted, stalled: job.stalledCounter ?? 0 });
      if (left <= 0) throw final(new ToonError('TIMEOUT', { message: 'The job waited past its deadline.', detail: { lateMs: -left } }));
      // Redis away: a plain error, retried by BullMQ.
      const image = await redis.getBuffer(keys.input(id));
      if (!image) throw final(new ToonError('TIMEOUT', { message: "The photo's key expired before a worker took the job." }));
      let output;
      try {
        output = await engine.submit(
          { image, options: job.data.options, includeFaces: job.data.includeFaces, requester: job.data.requester, deadlineMs: left, ...(job.data.clip ? { clip: job.data.clip } : {}) },
          // A clip's frames, for the asker's status ("frame 34/120"), through the queue's events.
          { onProgress: (progress) => void job.updateProgress({ ...progress }).catch(() => undefined) },
        );
      } catch (error) {
        // The engine's refusals (a corrupt photo, a timeout) are final: no retry.
        throw final(error);
      }
      const { image: cartoon, ...result } = output;
      await keepTrying(`the cartoon of job ${id}`, log, () => redis.set(keys.output(id), cartoon, 'PX', OUTPUT_TTL_MS));
      return { result };
    },
    {
      connection: connections.open('blocking'),
      concurrency: 1,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.stalledCheckMs ?? 30_000,
      maxStalledCount: 1,
      name,
    },
  );
  worker.on('error', () => undefined); // connection errors: logged by Connections
  worker.on('failed', (job, error) => log.info('job failed', { jobId: job?.id, reason: error.message.slice(0, 200) }));
  worker.on('stalled', (jobId) => log.warn('a job stalled (its worker died?): back in line', { jobId }));
  await worker.waitUntilReady();

  const beat = async () => {
    await redis.set(keys.worker(name), JSON.stringify({ providers: engine.providers(), pid: process.pid, host: os.hostname() }), 'PX', HEARTBEAT_MS * 3).catch(() => undefined);
  };
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  heartbeat.unref();
  log.info('worker ready', { name, providers: engine.providers() });

  return {
    name,
    engine,
    close: async () => {
      clearInterval(heartbeat);
      await worker.close();
      await redis.del(keys.worker(name)).catch(() => 0);
      connections.closeAll();
      await engine.close();
    },
  };
}
