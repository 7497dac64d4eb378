/**
 * The replies an adapter has started and not finished, so that a shutdown can answer them all
 * before the process exits. A failure is logged here; nothing is left unhandled.
 */
import type { Logger } from '../../engine/index.ts';

export class InFlight {
  readonly #jobs = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  get size(): number {
    return this.#jobs.size;
  }

  track(job: Promise<void>): void {
    const tracked = job.catch((error: unknown) => this.log.error(`${this.what} failed`, { error }));
    this.#jobs.add(tracked);
    void tracked.finally(() => this.#jobs.delete(tracked));
  }

  /** Resolves once every job, including ones started while waiting, has ended. */
  async drain(): Promise<void> {
    while (this.#jobs.size > 0) await Promise.allSettled([...this.#jobs]);
  }
}
