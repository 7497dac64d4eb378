/**
 * The one line in front of the accelerator. Every inference in the process goes through here.
 *
 * - Admission: a bounded number of waiting jobs, a per-requester cap (reserved + waiting +
 *   running), and a deadline per job. Refusals fail fast with QUEUE_FULL or USER_BUSY. A place
 *   can be reserved before the job exists (while its photo downloads), so nothing is fetched for
 *   a job the line would refuse.
 * - Order: first come, first served (p-queue, concurrency 1 by default); a clip (a job of weight
 *   > 1: more places in the bound, all of its sender's) lets waiting jobs pass between its frames.
 * - Positions: `onPosition(n)` whenever a job's place changes; n = 1 is next, 0 means started.
 * - Ending: an accepted job always settles. A job cancelled or past its deadline while waiting
 *   leaves the line at once; one that is running keeps its slot until its native work returns (so
 *   two inferences never overlap), but its caller is answered at once.
 * - Overlap: a job done with the accelerator (`release()`: drawn, encoding) gives its slot to the
 *   next job and finishes beside it; it keeps its place in the line's bound until it settles.
 */
import PQueue from 'p-queue';
import { ToonError, toToonError } from './errors.ts';
import { Latencies, notify, Slot, type Waiting } from './slot.ts';
import { DEFAULT_QUEUE_LIMITS, type JobContext, type JobOptions, type QueueLimits, type QueueStats, type Reservation } from './queueTypes.ts';

export { DEFAULT_QUEUE_LIMITS } from './queueTypes.ts';
export type { JobContext, JobOptions, QueueLimits, QueueStats, Reservation } from './queueTypes.ts';

export class JobQueue {
  readonly limits: QueueLimits;
  readonly #queue: PQueue;
  readonly #waiting: Waiting[] = [];
  readonly #perRequester = new Map<string, number>();
  readonly #latencies = new Latencies();
  /** Every accepted job's controller, until it settles (for cancelAll). */
  readonly #jobs = new Set<AbortController>();
  #running = 0;
  /** Jobs that gave their slot back early (release) and are finishing. */
  #finishing = 0;
  /** Every started job's end, for close(). */
  readonly #started = new Set<Promise<unknown>>();
  /** Places held by reservations not yet submitted. */
  #reserved = 0;
  /** Places taken by weighted jobs (clips) beyond their one each. */
  #extra = 0;
  #done = 0;
  #failed = 0;
  #cancelled = 0;
  #closed = false;

  constructor(limits: Partial<QueueLimits> = {}) {
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...limits };
    for (const [key, value] of Object.entries(this.limits)) {
      const min = key === 'maxWaiting' ? 0 : 1;
      if (!Number.isInteger(value) || value < min) throw new TypeError(`Expected an integer >= ${min} for ${key}, got ${value}`);
    }
    this.#queue = new PQueue({ concurrency: this.limits.concurrency });
  }

  /**
   * Queues `task`. Resolves with its result; rejects with a ToonError (QUEUE_FULL, USER_BUSY,
   * TIMEOUT, CANCELLED, SHUTTING_DOWN, or the task's own).
   */
  submit<T>(task: (context: JobContext) => Promise<T>, options: JobOptions): Promise<T> {
    try {
      this.#admit(options.requester);
    } catch (error) {
      return Promise.reject(toToonError(error));
    }
    this.#hold(options.requester);
    return this.#enqueue(task, options);
  }

  /**
   * Holds a place for `requester` before the job can be submitted (while its photo downloads):
   * it counts against the line's bound and the requester's cap from now on. Either submit
   * through the reservation (once) or release it.
   * @throws ToonError SHUTTING_DOWN, QUEUE_FULL or USER_BUSY
   */
  reserve(requester: string): Reservation {
    this.#admit(requester);
    this.#hold(requester);
    this.#reserved += 1;
    let used = false;
    const use = (): boolean => {
      if (used) return false;
      used = true;
      this.#reserved -= 1;
      return true;
    };
    return {
      submit: <T>(task: (context: JobContext) => Promise<T>, options: Omit<JobOptions, 'requester'> = {}) => {
        if (!use()) return Promise.reject(new ToonError('INTERNAL', { detail: { reason: 'reservation used twice' } }));
        if (this.#closed) {
          this.#unhold(requester);
          return Promise.reject(new ToonError('SHUTTING_DOWN'));
        }
        return this.#enqueue(task, { ...options, requester });
      },
      release: () => {
        if (use()) this.#unhold(requester);
      },
    };
  }

  /** Ends every job, waiting or running, with `reason` (a running one keeps its slot until its native work returns). */
  cancelAll(reason: ToonError): void {
    for (const job of [...this.#jobs]) job.abort(reason);
  }

  #admit(requester: string): void {
    if (this.#closed) throw new ToonError('SHUTTING_DOWN');
    // Full when every accelerator slot is busy and the waiting line (reservations included) is at its bound.
    if (this.#taken() >= this.limits.concurrency + this.limits.maxWaiting) {
      throw new ToonError('QUEUE_FULL', { detail: { waiting: this.#waiting.length, running: this.#running, reserved: this.#reserved } });
    }
    const held = this.#perRequester.get(requester) ?? 0;
    if (held >= this.limits.perRequester) throw new ToonError('USER_BUSY', { detail: { held, cap: this.limits.perRequester } });
  }

  /** Places in the line's bound taken now. */
  #taken(): number {
    return this.#waiting.length + this.#running + this.#finishing + this.#reserved + this.#extra;
  }

  /**
   * The places a weighted job (a clip, its one place already held) takes besides its one: in the
   * line, up to its weight (all of it when the line is otherwise empty); of its requester's, all.
   * @throws ToonError QUEUE_FULL (too much work in line for it now), USER_BUSY (the requester has other jobs)
   */
  #weigh(requester: string, weight: number): { line: number; requester: number } {
    const line = Math.min(Math.ceil(weight), this.limits.concurrency + this.limits.maxWaiting) - 1;
    if (line <= 0) return { line: 0, requester: 0 };
    const others = this.#taken();
    if (others > 0 && others + 1 + line > this.limits.concurrency + this.limits.maxWaiting) {
      throw new ToonError('QUEUE_FULL', { detail: { weight, waiting: this.#waiting.length, running: this.#running, reserved: this.#reserved } });
    }
    const held = this.#perRequester.get(requester) ?? 0;
    if (held > 1) throw new ToonError('USER_BUSY', { detail: { held, weight, cap: this.limits.perRequester } });
    const extra = { line, requester: this.limits.perRequester - 1 };
    this.#extra += extra.line;
    this.#hold(requester, extra.requester);
    return extra;
  }

  #hold(requester: string, places = 1): void {
    this.#perRequester.set(requester, (this.#perRequester.get(requester) ?? 0) + places);
  }

  #unhold(requester: string, places = 1): void {
    if (places <= 0) return;
    const left = (this.#perRequester.get(requester) ?? places) - places;
    if (left > 0) this.#perRequester.set(requester, left);
    else this.#perRequester.delete(requester);
  }

  /** Puts an admitted job (its place already held) in line. */
  #enqueue<T>(task: (context: JobContext) => Promise<T>, options: JobOptions): Promise<T> {
    if (options.signal?.aborted) {
      this.#unhold(options.requester);
      return Promise.reject(new ToonError('CANCELLED'));
    }
    let extra: { line: number; requester: number };
    try {
      extra = this.#weigh(options.requester, options.weight ?? 1);
    } catch (error) {
      this.#unhold(options.requester);
      return Promise.reject(toToonError(error));
    }
    const submitted = performance.now();
    const job = new AbortController();
    const leaveLine = new AbortController();
    const deadlineMs = Math.min(options.deadlineMs ?? this.limits.deadlineMs, this.limits.deadlineMs);
    const timer = setTimeout(() => job.abort(new ToonError('TIMEOUT', { detail: { deadlineMs } })), deadlineMs);
    const onCallerAbort = (): void => job.abort(new ToonError('CANCELLED', { cause: options.signal?.reason }));
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const entry: Waiting = { requester: options.requester, lastPosition: -1, leave: (reason) => leaveLine.abort(reason) };
    if (options.onPosition) entry.onPosition = options.onPosition;
    this.#waiting.push(entry);
    this.#jobs.add(job);
    let started = false;
    job.signal.addEventListener(
      'abort',
      () => {
        if (!started) this.#dropWaiting(entry, job.signal.reason);
      },
      { once: true },
    );

    // The job holds an accelerator slot from its start to its end, except between a clip's parts.
    const slot = new Slot(this.#queue, job.signal, () => this.#waiting.length > 0);
    const work = new Promise<T>((resolve, reject) => {
      this.#queue
        .add(
          async () => {
            started = true;
            this.#removeWaiting(entry);
            this.#running += 1;
            const held = slot.hold();
            // Given back early: the slot goes to the next job, this one finishes beside it.
            let released = false;
            const release = (): void => {
              if (released) return;
              released = true;
              this.#running -= 1;
              this.#finishing += 1;
              slot.release();
            };
            // A job that gave its slot back has no more turns to wait for.
            const turn = (): Promise<void> => (released ? Promise.resolve() : slot.turn());
            const ran = (async () => {
              job.signal.throwIfAborted();
              notify(entry, 0);
              return task({ signal: job.signal, queuedMs: performance.now() - submitted, turn, release });
            })();
            const ended = ran.then(resolve, reject).finally(() => {
              if (released) this.#finishing -= 1;
              else this.#running -= 1;
              slot.release();
              this.#started.delete(ended);
            });
            this.#started.add(ended);
            await held;
          },
          { signal: leaveLine.signal },
        )
        .catch(reject);
    });

    const settled = work.finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
      this.#jobs.delete(job);
      this.#extra -= extra.line;
      this.#unhold(options.requester, 1 + extra.requester);
    });
    this.#publishPositions();

    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (!done) {
          done = true;
          fn();
        }
      };
      const onAbort = (): void =>
        finish(() => {
          const reason = toToonError(job.signal.reason, 'CANCELLED');
          this.#count(reason);
          reject(reason);
        });
      job.signal.addEventListener('abort', onAbort, { once: true });
      settled.then(
        (value) =>
          finish(() => {
            job.signal.removeEventListener('abort', onAbort);
            this.#done += 1;
            this.#latencies.record(performance.now() - submitted);
            resolve(value);
          }),
        (error: unknown) =>
          finish(() => {
            job.signal.removeEventListener('abort', onAbort);
            const failure = job.signal.aborted ? toToonError(job.signal.reason, 'CANCELLED') : toToonError(error);
            this.#count(failure);
            reject(failure);
          }),
      );
    });
  }

  stats(): QueueStats {
    return {
      waiting: this.#waiting.length,
      work: this.#waiting.length + this.#running + this.#extra,
      reserved: this.#reserved,
      running: this.#running,
      finishing: this.#finishing,
      done: this.#done,
      failed: this.#failed,
      cancelled: this.#cancelled,
      ...this.#latencies.quantiles(),
    };
  }

  /** Jobs one requester has reserved, waiting or running. */
  heldBy(requester: string): number {
    return this.#perRequester.get(requester) ?? 0;
  }

  /** Stops admitting jobs, then resolves when every accepted job has settled. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.onIdle();
    // Jobs that gave their slot back are still finishing.
    await Promise.allSettled([...this.#started]);
  }

  #count(reason: unknown): void {
    if (reason instanceof ToonError && reason.code === 'CANCELLED') this.#cancelled += 1;
    else this.#failed += 1;
  }

  #dropWaiting(entry: Waiting, reason: unknown): void {
    if (this.#removeWaiting(entry)) entry.leave(reason);
  }

  #removeWaiting(entry: Waiting): boolean {
    const index = this.#waiting.indexOf(entry);
    if (index < 0) return false;
    this.#waiting.splice(index, 1);
    this.#publishPositions();
    return true;
  }

  #publishPositions(): void {
    this.#waiting.forEach((entry, index) => notify(entry, index + 1));
  }
}
