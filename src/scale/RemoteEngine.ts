/**
 * The engine of a bot process in scale-out mode (TOONBOT_REDIS_URL): the same engine shell the
 * embedded mode uses (options, the header check, admission, caps, deadlines, timings), with the
 * models on GPU workers (`toonbot worker`) that take jobs from a BullMQ queue on Redis
 * (RedisBackend). The place in line is the job's index in the queue's wait list, read again
 * whenever any worker takes or finishes a job (SharedLine). A restarted producer (same
 * TOONBOT_INSTANCE) takes back its jobs (recovery.ts).
 */
import { DEFAULT_ENGINE_CONFIG, EngineShell, loadManifests, type EngineOptions, type ModelEntry } from '../engine/expert.ts';
import { recoverJobs, type AnswerLater } from './recovery.ts';
import { RedisBackend } from './RedisBackend.ts';

export interface RemoteEngineOptions {
  redisUrl: string;
  /** This producer's name: a restarted one takes back the jobs of the same name. @default 'bot' */
  instance?: string;
  engine: EngineOptions;
  /** How often the line's counts and the workers are read when no event says so. @default 2000 */
  refreshMs?: number;
}

export async function createRemoteEngine(options: RemoteEngineOptions): Promise<RemoteEngine> {
  const models = options.engine.models ?? (await loadManifests(options.engine.modelsDir ?? DEFAULT_ENGINE_CONFIG.modelsDir));
  return new RemoteEngine(options, models);
}

export class RemoteEngine extends EngineShell {
  readonly instance: string;
  readonly #redis: RedisBackend;

  constructor(options: RemoteEngineOptions, models: ModelEntry[]) {
    const e = options.engine;
    const queue = { ...DEFAULT_ENGINE_CONFIG.queue, ...e.queue };
    const logger = e.logger ?? DEFAULT_ENGINE_CONFIG.logger;
    const instance = options.instance ?? 'bot';
    const backend = new RedisBackend({ redisUrl: options.redisUrl, instance, refreshMs: options.refreshMs ?? 2000, maxWaiting: queue.maxWaiting, logger });
    super(
      {
        models,
        queue,
        limits: { ...DEFAULT_ENGINE_CONFIG.limits, ...e.limits },
        logger,
        defaultStyle: e.defaultStyle ?? DEFAULT_ENGINE_CONFIG.defaultStyle,
        onJob: e.onJob,
      },
      backend,
    );
    this.instance = instance;
    this.#redis = backend;
  }

  /** Whether new photos can be taken: Redis answers and the engine is not stopping. */
  available(): boolean {
    return !this.closing && this.#redis.available();
  }

  /** Live workers, from their heartbeats. */
  workers(): number {
    return this.#redis.line.workers.count;
  }

  /**
   * Takes back this instance's jobs left from before a restart: finished ones are answered now
   * through `answerLater`, unfinished ones when they finish.
   */
  recover(answerLater: AnswerLater): Promise<number> {
    return recoverJobs(this.#redis, answerLater, this.log);
  }
}
