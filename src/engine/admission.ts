/**
 * Can the line finish `jobs` more within `withinMs`? One reckoning for both engines (embedded and
 * scale-out): the work ahead (in photos: a clip counts as its weight) and these jobs, times the
 * median processing time of recent jobs per photo (decode, model, encode: not their waiting),
 * shared among the runners (threads or live workers).
 */
import { ToonError } from './errors.ts';
import type { QueueStats } from './queueTypes.ts';

/** A job's expected time before there is any history to go by. */
const FIRST_JOB_ESTIMATE_MS = 5000;
/** Recent jobs the estimate looks at. */
const HISTORY = 50;

export class Admission {
  readonly #processing: number[] = [];

  /** Records a finished job's processing time (ms), per photo of its weight. */
  done(processingMs: number, weight = 1): void {
    this.#processing.push(processingMs / Math.max(1, weight));
    if (this.#processing.length > HISTORY) this.#processing.shift();
  }

  /** @throws ToonError DEADLINE_TOO_SHORT, with the estimate and the line's figures */
  check(stats: QueueStats, jobs: number, withinMs: number, runners: number): void {
    const perJob = median(this.#processing) ?? FIRST_JOB_ESTIMATE_MS;
    const estimateMs = ((stats.work + jobs) * perJob) / Math.max(1, runners);
    if (estimateMs > withinMs) throw new ToonError('DEADLINE_TOO_SHORT', { detail: { estimateMs: Math.round(estimateMs), withinMs: Math.round(withinMs), runners, ...stats } });
  }
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
