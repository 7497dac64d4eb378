/**
 * Prometheus metrics (prom-client): jobs by platform and outcome, the line's length, waiting,
 * processing and total time histograms, and Node's default process metrics. Labels never carry
 * user ids: a requester "telegram:123" counts as platform "telegram". The owners' /stats reads
 * the same metrics (stats.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine, JobEvent } from '../engine/index.ts';

const PLATFORMS = new Set(['telegram', 'discord', 'web', 'cli']);
const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

/** The metrics' figures at one moment: outcomes summed over platforms, histograms as cumulative buckets. */
export interface MetricsSnapshot {
  outcomes: Record<string, number>;
  processing: Buckets;
  total: Buckets;
}

/** Cumulative counts by upper bound (seconds), +Inf last. */
export type Buckets = [number, number][];

export class Metrics {
  readonly registry = new Registry();
  readonly #jobs: Counter<'platform' | 'outcome'>;
  readonly #wait: Histogram;
  readonly #processing: Histogram<'style'>;
  readonly #total: Histogram;

  constructor() {
    const registers = [this.registry];
    this.#jobs = new Counter({ name: 'toonbot_jobs_total', help: 'Photos submitted, by platform and how they ended (done, or the error code).', labelNames: ['platform', 'outcome'], registers });
    this.#wait = new Histogram({ name: 'toonbot_job_wait_seconds', help: 'Time finished jobs waited in line.', buckets: SECONDS, registers });
    this.#processing = new Histogram({ name: 'toonbot_job_processing_seconds', help: 'Decode, model and encode time of finished jobs.', labelNames: ['style'], buckets: SECONDS, registers });
    this.#total = new Histogram({ name: 'toonbot_job_total_seconds', help: 'Time from submission to result of finished jobs (waiting and processing).', buckets: SECONDS, registers });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Gauges of the line, read from the engine at each scrape. */
  watch(engine: Pick<Engine, 'stats'>): void {
    const registers = [this.registry];
    new Gauge({
      name: 'toonbot_queue_waiting',
      help: 'Jobs waiting in line (reserved places included).',
      registers,
      collect() {
        const s = engine.stats();
        this.set(s.waiting + s.reserved);
      },
    });
    new Gauge({
      name: 'toonbot_jobs_running',
      help: 'Jobs on the accelerator now.',
      registers,
      collect() {
        this.set(engine.stats().running);
      },
    });
    new Gauge({
      name: 'toonbot_jobs_finishing',
      help: 'Jobs past the accelerator, encoding their reply beside the next job.',
      registers,
      collect() {
        this.set(engine.stats().finishing);
      },
    });
  }

  /** Gauges of the durable line (embedded mode with bots), read at each scrape. */
  watchJournal(journal: { stats(): { jobs: number; bytes: number; recovered: number } }): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: (s: ReturnType<typeof journal.stats>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(journal.stats()));
        },
      });
    gauge('toonbot_journal_jobs', 'Accepted jobs written in the journal and not yet answered.', (s) => s.jobs);
    gauge('toonbot_journal_bytes', 'Size of the journal file on disk.', (s) => s.bytes);
    gauge('toonbot_journal_recovered_jobs', 'Jobs a previous run left unanswered, found in the journal at start.', (s) => s.recovered);
  }

  /** The engine's onJob (and the bots' own refusals). */
  readonly observe = (event: JobEvent): void => {
    this.#jobs.inc({ platform: platformOf(event.requester), outcome: event.outcome });
    if (event.waitMs !== undefined) this.#wait.observe(event.waitMs / 1000);
    if (event.processingMs !== undefined) this.#processing.observe({ style: event.style || 'none' }, event.processingMs / 1000);
    if (event.waitMs !== undefined && event.processingMs !== undefined) this.#total.observe((event.waitMs + event.processingMs) / 1000);
  };

  async snapshot(): Promise<MetricsSnapshot> {
    const outcomes: Record<string, number> = {};
    for (const v of (await this.#jobs.get()).values) {
      const outcome = String(v.labels.outcome);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + v.value;
    }
    return { outcomes, processing: await buckets(this.#processing), total: await buckets(this.#total) };
  }
}

/** A histogram's cumulative buckets, summed over its labels. */
async function buckets(histogram: Histogram<string>): Promise<Buckets> {
  const byBound = new Map<number, number>();
  for (const v of (await histogram.get()).values) {
    if (v.metricName?.endsWith('_bucket') !== true) continue;
    const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + v.value);
  }
  return [...byBound.entries()].sort((a, b) => a[0] - b[0]);
}

export function platformOf(requester: string): string {
  const platform = requester.split(':')[0] ?? '';
  return PLATFORMS.has(platform) ? platform : 'other';
}
