/**
 * The engine of a bot process in scale-out mode (TOONBOT_REDIS_URL): the same engine shell the
 * embedded mode uses (options, the header check, admission, caps, deadlines, timings), with the
 * models on GPU workers (`toonbot worker`) that take jobs from a BullMQ queue on Redis
 * (RedisBackend). The place in line is the job's index in the queue's wait list, read again
 * whenever any worker takes or finishes a job (SharedLine). A restarted producer (same
 * TOONBOT_INSTANCE) takes back its jobs (RedisBackend.recover).
 */
import { EngineShell, resolveEngineConfig, type EngineConfig, type EngineOptions, type ModelEntry } from '../engine/expert.ts';
import { RedisBackend, type AnswerLater } from './RedisBackend.ts';

/** How often the line's counts and the workers are read when no event says so. */
const REFRESH_MS = 2000;

export interface RemoteEngineOptions {
  redisUrl: string;
  /** This producer's name: a restarted one takes back the jobs of the same name. @default 'bot' */
  instance?: string;
  engine: EngineOptions;
  /** How often the line's counts and the workers are read when no event says so. @default REFRESH_MS */
  refreshMs?: number;
}

/** The engine configured as the embedded one is (the same defaults and start-up checks), over Redis. */
export async function createRemoteEngine(options: RemoteEngineOptions): Promise<RemoteEngine> {
  return new RemoteEngine(options, await resolveEngineConfig(options.engine));
}

export class RemoteEngine extends EngineShell {
  readonly instance: string;
  readonly #redis: RedisBackend;

  constructor(options: RemoteEngineOptions, config: EngineConfig & { models: ModelEntry[] }) {
    const instance = options.instance ?? 'bot';
    const backend = new RedisBackend({ redisUrl: options.redisUrl, instance, refreshMs: options.refreshMs ?? REFRESH_MS, maxWaiting: config.queue.maxWaiting, logger: config.logger });
    super(config, backend);
    this.instance = instance;
    this.#redis = backend;
  }

  /** Whether new photos can be taken: Redis answers and the engine is not stopping. */
  available(): boolean {
    return !this.closing && this.#redis.available();
  }

  /** Live workers, from their heartbeats. */
  workers(): number {
    return this.#redis.workers();
  }

  /**
   * Takes back this instance's jobs left from before a restart: finished ones are answered now
   * through `answerLater`, unfinished ones when they finish.
   */
  recover(answerLater: AnswerLater): Promise<number> {
    return this.#redis.recover(answerLater);
  }
}
