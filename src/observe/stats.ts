/**
 * The owners' /stats: what the metrics say since the start and since midnight UTC (the
 * difference from a snapshot taken at midnight), the line now and its longest today, the busiest
 * chats (counts only), where the models run, uptime and version.
 */
import { createRequire } from 'node:module';
import type { Engine } from '../engine/index.ts';
import type { Buckets, Metrics, MetricsSnapshot } from './metrics.ts';

/** Outcomes that are failures on our side; every other one but 'done' is a refusal. */
const FAILURES = new Set(['INTERNAL', 'MODEL_UNAVAILABLE', 'TIMEOUT', 'DELIVERY_FAILED', 'DOWNLOAD_FAILED']);
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
const BUSIEST = 5;

export interface Period {
  done: number;
  failed: number;
  /** Refusals by reason (the error code). */
  refused: Record<string, number>;
  /** Seconds, from the histograms (interpolated within a bucket); null before any job. */
  processing: { p50: number; p95: number } | null;
  total: { p50: number; p95: number } | null;
}

export interface StatsFacts {
  since: Period;
  today: Period;
  lineNow: number;
  lineLongestToday: number;
  /** Places with the most photos today: ids only. */
  busiest: { place: string; photos: number }[];
  providers: string[];
  uptimeS: number;
  version: string;
}

export class DailyStats {
  #baseline: MetricsSnapshot = { outcomes: {}, processing: [], total: [] };
  #day = utcDay();
  #longest = 0;
  readonly #places = new Map<string, number>();
  readonly #sampler: NodeJS.Timeout;

  constructor(
    private readonly metrics: Metrics,
    private readonly engine: Pick<Engine, 'stats' | 'providers'>,
  ) {
    this.#sampler = setInterval(() => void this.#tick(), 1000);
    this.#sampler.unref();
  }

  /** A photo from `place` (a group or server) reached the bot. */
  place(place: string | undefined): void {
    if (place === undefined) return;
    void this.#tick();
    this.#places.set(place, (this.#places.get(place) ?? 0) + 1);
  }

  async facts(): Promise<StatsFacts> {
    await this.#tick();
    const now = await this.metrics.snapshot();
    const s = this.engine.stats();
    return {
      since: period(now, { outcomes: {}, processing: [], total: [] }),
      today: period(now, this.#baseline),
      lineNow: s.waiting + s.running,
      lineLongestToday: this.#longest,
      busiest: [...this.#places.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, BUSIEST)
        .map(([place, photos]) => ({ place, photos })),
      providers: this.engine.providers(),
      uptimeS: Math.round(process.uptime()),
      version: VERSION,
    };
  }

  stop(): void {
    clearInterval(this.#sampler);
  }

  /** A new UTC day starts the day's figures from here; the line's length is sampled. */
  async #tick(): Promise<void> {
    if (utcDay() !== this.#day) {
      this.#day = utcDay();
      this.#longest = 0;
      this.#places.clear();
      this.#baseline = await this.metrics.snapshot();
    }
    const s = this.engine.stats();
    this.#longest = Math.max(this.#longest, s.waiting + s.running);
  }
}

function period(now: MetricsSnapshot, from: MetricsSnapshot): Period {
  const refused: Record<string, number> = {};
  let failed = 0;
  for (const [outcome, n] of Object.entries(now.outcomes)) {
    const count = n - (from.outcomes[outcome] ?? 0);
    if (count <= 0 || outcome === 'done') continue;
    if (FAILURES.has(outcome)) failed += count;
    else refused[outcome] = count;
  }
  return {
    done: (now.outcomes.done ?? 0) - (from.outcomes.done ?? 0),
    failed,
    refused,
    processing: quantiles(minus(now.processing, from.processing)),
    total: quantiles(minus(now.total, from.total)),
  };
}

function minus(a: Buckets, b: Buckets): Buckets {
  const before = new Map(b);
  return a.map(([le, n]) => [le, n - (before.get(le) ?? 0)]);
}

/** p50 and p95 from cumulative buckets, interpolated linearly within a bucket (as Prometheus does). */
function quantiles(buckets: Buckets): { p50: number; p95: number } | null {
  const count = buckets.at(-1)?.[1] ?? 0;
  if (count <= 0) return null;
  const at = (q: number): number => {
    const rank = q * count;
    let lower = 0;
    let below = 0;
    for (const [le, n] of buckets) {
      if (n >= rank) {
        if (!Number.isFinite(le)) return lower;
        return lower + (le - lower) * ((rank - below) / Math.max(1, n - below));
      }
      lower = le;
      below = n;
    }
    return lower;
  };
  return { p50: at(0.5), p95: at(0.95) };
}

function utcDay(): string {
  return new Date().toISOString().slice(0, 10);
}
