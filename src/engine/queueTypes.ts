/** The line's limits, a job's options and context, and what the line reports (see JobQueue). */

export interface QueueLimits {
  /** Jobs running at once: 1 per accelerator. @default 1 */
  concurrency: number;
  /** Jobs that may wait; the next one gets QUEUE_FULL. @default 32 */
  maxWaiting: number;
  /** Jobs one requester may have waiting or running. @default 2 */
  perRequester: number;
  /** Milliseconds from submission to result, waiting included. @default 120_000 */
  deadlineMs: number;
}

export const DEFAULT_QUEUE_LIMITS = {
  concurrency: 1,
  maxWaiting: 32,
  perRequester: 2,
  deadlineMs: 120_000,
} as const satisfies QueueLimits;

export interface JobOptions {
  /** Whose job this is, for the per-requester cap ("telegram:123", "discord:456"). */
  requester: string;
  signal?: AbortSignal;
  onPosition?: (position: number) => void;
  /** Overrides the queue's deadline for this job (never longer than the queue's). */
  deadlineMs?: number;
  /**
   * A job that is several photos' work (a clip): it takes this many places in the line's bound
   * (though one alone in an idle line always gets in) and all of its requester's places.
   * @default 1
   */
  weight?: number;
}

/** A place held in line; see JobQueue.reserve. */
export interface Reservation {
  submit<T>(task: (context: JobContext) => Promise<T>, options?: Omit<JobOptions, 'requester'>): Promise<T>;
  /** Gives the place back (a no-op once submitted). */
  release(): void;
}

export interface JobContext {
  /** Aborted when the job is cancelled or its deadline passes: check it between stages. */
  signal: AbortSignal;
  /** Milliseconds the job waited before it started. */
  queuedMs: number;
  /**
   * Between the parts of a long job (a clip): when others wait, gives them the accelerator and
   * resolves when this job's next turn comes (behind them); at once when nobody waits.
   * @throws the job's abort reason when it is cancelled or timed out meanwhile
   */
  turn?: () => Promise<void>;
  /**
   * The job is done with the accelerator (its model runs are over; what is left is encoding):
   * its slot goes to the next job in line while this one finishes, so that the encode runs
   * beside the next job's decode and graph. Its place in the line's bound stays taken until it
   * settles. Once; later calls do nothing (nor do `turn` calls after it).
   */
  release?: () => void;
}

export interface QueueStats {
  waiting: number;
  /** The work waiting and running, in photos (a clip counts as its weight). */
  work: number;
  /** Places held for jobs whose photo is still downloading. */
  reserved: number;
  running: number;
  /** Jobs past the accelerator, encoding, that gave their slot to the next job (JobContext.release). */
  finishing: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Submission-to-result latency of recent successful jobs, ms (null before the first). */
  p50: number | null;
  p95: number | null;
}
