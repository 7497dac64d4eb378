/**
 * A running job's hold on one of the line's accelerator slots: a p-queue task that lasts as long
 * as the hold. A long job (a clip) gives its slot to the jobs waiting between its parts: `turn()`
 * releases it and queues the job's next part behind them, so a photo waits for one part of a clip,
 * not for all of it. Also a waiting job's entry and the line's recent latencies.
 */
import type PQueue from 'p-queue';

export class Slot {
  #release = (): void => undefined;

  constructor(
    private readonly queue: PQueue,
    private readonly signal: AbortSignal,
    /** Whether other jobs wait for a slot now. */
    private readonly othersWait: () => boolean,
  ) {}

  /** Called inside the p-queue task that starts the job: resolves when the slot is given up. */
  hold(): Promise<void> {
    return new Promise<void>((resolve) => (this.#release = resolve));
  }

  /** Gives the slot up (the job ended, or it lets others pass). */
  release(): void {
    this.#release();
  }

  /** Resolves when the job may go on: at once when nobody waits, else after those waiting. */
  turn(): Promise<void> {
    const { signal } = this;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (!this.othersWait()) return Promise.resolve();
    const again = new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue
        .add(async () => {
          if (signal.aborted) return;
          signal.removeEventListener('abort', onAbort);
          const held = this.hold();
          resolve();
          await held;
        })
        .catch(reject);
    });
    this.release();
    return again;
  }
}

/** The submission-to-result latencies of the last WINDOW successful jobs, ms. */
export class Latencies {
  static readonly WINDOW = 512;
  readonly #values: number[] = [];

  record(ms: number): void {
    this.#values.push(ms);
    if (this.#values.length > Latencies.WINDOW) this.#values.shift();
  }

  /** The median and the 95th percentile (null before the first job). */
  quantiles(): { p50: number | null; p95: number | null } {
    const sorted = [...this.#values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
  }
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? null;
}

/** A job waiting for a slot: whose, where its place in line goes, how it leaves the line. */
export interface Waiting {
  requester: string;
  onPosition?: (position: number) => void;
  lastPosition: number;
  leave: (reason: unknown) => void;
}

/** Tells a waiting job its place (1 = next, 0 = started) when it changed. */
export function notify(entry: Waiting, position: number): void {
  if (entry.lastPosition === position) return;
  entry.lastPosition = position;
  try {
    entry.onPosition?.(position);
  } catch {
    // A failing progress callback (a platform edit that failed, say) must not hurt the job.
  }
}
