/**
 * What the bot process (producer) and the GPU workers say to each other through Redis.
 *
 * Job data and return values are small JSON: the photo and the cartoon travel as binary Redis
 * strings with a TTL (BullMQ would store a Buffer as a JSON array of numbers, five times its
 * size, and repeat return values in its events stream). The producer deletes them once it has
 * answered.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { isErrorCode, ToonError, type CartoonOptions, type CartoonResult, type ClipRequest, type Logger, type ReplyAddress } from '../engine/expert.ts';

/** The BullMQ queue's name (its keys are `bull:toonbot:*`). */
export const QUEUE_NAME = 'toonbot';
/** Prefix of this project's own keys. */
const PREFIX = 'toonbot:';

export const keys = {
  input: (jobId: string) => `${PREFIX}img:${jobId}:in`,
  output: (jobId: string) => `${PREFIX}img:${jobId}:out`,
  /** Set (NX) by whoever answers the job: nobody answers it twice. */
  answered: (jobId: string) => `${PREFIX}answered:${jobId}`,
  /** A live worker's heartbeat: its providers, refreshed while it runs. */
  worker: (name: string) => `${PREFIX}worker:${name}`,
  workers: `${PREFIX}worker:*`,
  all: `${PREFIX}*`,
};

export interface JobData {
  /** The producer that enqueued it (TOONBOT_INSTANCE): a restarted one takes its own jobs back. */
  producer: string;
  requester: string;
  options: CartoonOptions;
  includeFaces: boolean;
  /** Epoch ms after which the job is not worth running: its answer would come too late. */
  deadlineAt: number;
  replyTo?: ReplyAddress;
  /** A clip: answered in kind (its length was checked by the producer against the asker's limit). */
  clip?: ClipRequest;
}

/** A finished job: the cartoon is under `keys.output(jobId)`. */
export interface JobReturn {
  result: Omit<CartoonResult, 'image'>;
}

/** A job that ended in a ToonError, as BullMQ's failedReason. */
export function encodeError(error: ToonError): string {
  return JSON.stringify({ code: error.code, message: error.message, detail: error.detail });
}

/** failedReason back to a ToonError; anything else (a stalled job, a crash) is INTERNAL. */
export function decodeError(reason: string | undefined): ToonError {
  try {
    const parsed = JSON.parse(reason ?? '') as { code?: string; message?: string; detail?: Record<string, unknown> };
    if (typeof parsed.code === 'string' && isErrorCode(parsed.code)) {
      return new ToonError(parsed.code, { ...(parsed.message ? { message: parsed.message } : {}), detail: parsed.detail ?? {} });
    }
  } catch {
    // not ours
  }
  return new ToonError('INTERNAL', { message: `The worker failed: ${reason ?? 'no reason given'}`, detail: { reason } });
}

/**
 * Redis connections of one process, closed together. BullMQ's blocking clients (workers, queue
 * events) need `maxRetriesPerRequest: null`; the producer's own commands fail fast instead, so
 * that a Redis outage becomes an answer ("something went wrong") rather than a hang. While Redis
 * is unreachable, ioredis reconnects and reports each failure: one log line per 30 s of that.
 */
export class Connections {
  readonly #all: Redis[] = [];
  #lastWarned = 0;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  open(kind: 'blocking' | 'commands'): Redis {
    const options: RedisOptions = kind === 'blocking' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 2 };
    const redis = new Redis(this.url, { ...options, connectionName: `toonbot-${kind}` });
    redis.on('error', (error: Error) => {
      if (Date.now() - this.#lastWarned < 30_000) return;
      this.#lastWarned = Date.now();
      this.log.warn('redis unreachable', { error: error.message });
    });
    this.#all.push(redis);
    return redis;
  }

  closeAll(): void {
    for (const redis of this.#all) redis.disconnect();
  }
}
