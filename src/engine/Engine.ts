/**
 * The engine: owns the models and the single accelerator queue, and turns a photo plus options into
 * a cartoon with timings. Knows nothing of chat platforms.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admission } from './admission.ts';
import { openTicket } from './ticket.ts';
import { ToonError, toToonError } from './errors.ts';
import { DEFAULT_MAX_UPSCALE, MIME_TYPES, outputSide, probeImage, targetSize, type ImageLimits } from './image.ts';
import { DEFAULT_QUEUE_LIMITS, JobQueue, type JobContext, type JobOptions, type QueueStats } from './JobQueue.ts';
import { silentLogger, type Logger } from './log.ts';
import { loadManifests, type ModelEntry } from './manifest.ts';
import { listedStyles } from './styles.ts';
import { DEFAULT_OPTIONS, OPTION_LIMITS, parseOptions, type CartoonOptions, type RawOptions } from './options.ts';
import { round1, type JobOutput } from './pipeline.ts';
import { InferencePool } from './threads/InferencePool.ts';
import type { CartoonRequest, CartoonResult, Engine, EngineConfig, EngineOptions, JobEvent, StyleInfo, SubmitOptions, Ticket, Timings } from './types.ts';

/** The project's `models/` folder. */
export const DEFAULT_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models');

export const DEFAULT_ENGINE_CONFIG = {
  modelsDir: DEFAULT_MODELS_DIR,
  runtime: { provider: 'auto', intraOpThreads: 0, interOpThreads: 0, cpuArena: true },
  queue: DEFAULT_QUEUE_LIMITS,
  // 40 MP covers any phone camera; 50 MiB is above Telegram's and Discord's own caps.
  limits: { maxPixels: 40_000_000, maxBytes: 50 * 1024 * 1024, maxUpscale: DEFAULT_MAX_UPSCALE },
  logger: silentLogger,
  defaultStyle: DEFAULT_OPTIONS.style,
} as const satisfies Omit<EngineConfig, 'models'>;

type Enqueue = (task: (context: JobContext) => Promise<JobOutput>, jobOptions: JobOptions) => Promise<JobOutput>;

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const config: EngineConfig = {
    modelsDir: options.modelsDir ?? DEFAULT_ENGINE_CONFIG.modelsDir,
    runtime: { ...DEFAULT_ENGINE_CONFIG.runtime, ...options.runtime },
    queue: { ...DEFAULT_ENGINE_CONFIG.queue, ...options.queue },
    limits: { ...DEFAULT_ENGINE_CONFIG.limits, ...options.limits },
    logger: options.logger ?? DEFAULT_ENGINE_CONFIG.logger,
    defaultStyle: options.defaultStyle ?? DEFAULT_ENGINE_CONFIG.defaultStyle,
    ...(options.onJob ? { onJob: options.onJob } : {}),
  };
  const models = options.models ?? (await loadManifests(config.modelsDir));
  if (models.length === 0) throw new Error(`No model manifests found in ${config.modelsDir}. Possible solutions:\n- run \`npm run models\` to regenerate the built-in style\n- point TOONBOT_MODELS_DIR at a folder of manifests`);
  const listed = models.filter((m) => m.manifest.listed).map((m) => m.manifest.id);
  // A configured default must be on offer; the built-in one may be absent from a custom model set.
  if (options.defaultStyle !== undefined && !listed.includes(config.defaultStyle)) {
    throw new Error(`The default style "${config.defaultStyle}" is not installed. Possible solutions:\n- set TOONBOT_DEFAULT_STYLE to one of: ${listed.join(', ')}\n- install it first (\`npx toonbot models pull <style>\`)`);
  }
  return new ToonEngine(config, models, options.inferenceScript);
}

class ToonEngine implements Engine {
  readonly #config: EngineConfig;
  readonly limits: Readonly<ImageLimits>;
  readonly defaultStyle: string;
  readonly #models: Map<string, ModelEntry>;
  /** The threads that run the models: no model run or pixel loop on this thread. */
  readonly #threads: InferencePool;
  readonly #queue: JobQueue;
  readonly #log: Logger;
  /** Submissions between their call and their admission to the queue (probing the header). */
  readonly #admitting = new Set<Promise<unknown>>();
  readonly #admission = new Admission();
  #closing = false;

  constructor(config: EngineConfig, models: ModelEntry[], inferenceScript?: URL) {
    this.#config = config;
    this.limits = Object.freeze({ ...config.limits });
    this.defaultStyle = config.defaultStyle;
    this.#models = new Map(models.map((m) => [m.manifest.id, m]));
    this.#queue = new JobQueue(config.queue);
    this.#threads = new InferencePool({ runtime: config.runtime, limits: config.limits, logger: config.logger, size: this.#queue.limits.concurrency, ...(inferenceScript ? { script: inferenceScript } : {}) });
    this.#log = config.logger;
  }

  styles(): StyleInfo[] {
    return listedStyles(this.#models.values());
  }

  parseOptions(raw?: RawOptions, defaults: Partial<CartoonOptions> = {}): CartoonOptions {
    return parseOptions(raw, this.styles().map((s) => s.id), { style: this.defaultStyle, ...defaults });
  }

  admit(jobs: number, withinMs: number): void {
    if (this.#closing) throw new ToonError('SHUTTING_DOWN');
    this.#admission.check(this.#queue.stats(), jobs, withinMs, this.#queue.limits.concurrency);
  }

  reserve(requester: string): Ticket {
    return openTicket(
      () => {
        if (this.#closing) throw new ToonError('SHUTTING_DOWN');
        return this.#queue.reserve(requester);
      },
      (outcome) => this.#report({ requester, style: this.defaultStyle, outcome }),
      (request, options, reservation) => this.#submit({ ...request, requester }, options, (task, jobOptions) => reservation.submit(task, jobOptions)),
    );
  }

  submit(request: CartoonRequest, options: SubmitOptions = {}): Promise<CartoonResult> {
    return this.#submit(request, options, (task, jobOptions) => this.#queue.submit(task, jobOptions));
  }

  cancelAll(): void {
    this.#closing = true;
    this.#queue.cancelAll(new ToonError('SHUTTING_DOWN'));
  }

  /** Runs a submission and tells the observer how it ended. */
  async #submit(request: CartoonRequest, options: SubmitOptions, enqueue: Enqueue): Promise<CartoonResult> {
    const requester = request.requester ?? 'anonymous';
    try {
      const result = await this.#work(request, options, enqueue);
      const { queued, decode, inference, encode } = result.timings;
      this.#admission.done(decode + inference + encode);
      this.#report({ requester, style: result.model, outcome: 'done', waitMs: queued, processingMs: decode + inference + encode });
      return result;
    } catch (error) {
      this.#report({ requester, style: typeof request.options?.style === 'string' ? request.options.style : this.defaultStyle, outcome: toToonError(error).code });
      throw error;
    }
  }

  #report(event: JobEvent): void {
    try {
      this.#config.onJob?.(event);
    } catch (error) {
      this.#log.warn('job observer failed', { error });
    }
  }

  async #work(request: CartoonRequest, options: SubmitOptions, enqueue: Enqueue): Promise<CartoonResult> {
    const start = performance.now();
    if (this.#closing) throw new ToonError('SHUTTING_DOWN');
    // Typed options are range-checked and completed here. Unlisted models (benchmarks) are allowed.
    const opts = parseOptions(request.options, [...this.#models.keys()], { style: this.defaultStyle });
    const entry = this.#models.get(opts.style) as ModelEntry;
    const requester = request.requester ?? 'anonymous';
    // A request that arrived before close() is still admitted: close() waits for its admission
    // (the header probe), which ends once the job is in the queue.
    const admission = (async () => {
      const probed = await probeImage(request.image, this.#config.limits);
      const side = outputSide(opts.resolution, Math.max(probed.width, probed.height), this.#config.limits, OPTION_LIMITS.resolution.min);
      const size = targetSize(probed.width, probed.height, side);
      const input = { image: request.image, size, entry, options: opts, includeFaces: request.includeFaces === true };
      const job = enqueue((context) => this.#threads.run(input, context), {
        requester,
        ...options,
        ...(request.deadlineMs === undefined ? {} : { deadlineMs: request.deadlineMs }),
      });
      return { size, job };
    })();
    this.#admitting.add(admission);
    admission.then(() => this.#admitting.delete(admission), () => this.#admitting.delete(admission));
    const { size, job } = await admission;
    let result;
    try {
      result = await job;
    } catch (error) {
      const failure = toToonError(error);
      const level = failure.code === 'INTERNAL' || failure.code === 'MODEL_UNAVAILABLE' ? 'error' : 'info';
      this.#log[level]('job failed', { code: failure.code, model: opts.style, requester, ...failure.detail, ...(level === 'error' ? { error: failure.cause } : {}) });
      throw failure;
    }

    const timings = { ...result.timings, total: performance.now() - start };
    for (const key of Object.keys(timings) as (keyof Timings)[]) timings[key] = round1(timings[key]);
    this.#log.info('job done', { model: opts.style, width: size.width, height: size.height, tiles: result.tiles, ...timings });
    return {
      image: result.image,
      mime: MIME_TYPES[opts.format],
      format: opts.format,
      width: size.width,
      height: size.height,
      model: opts.style,
      options: opts,
      timings,
      tiles: result.tiles,
      ...(result.portrait ? { portrait: result.portrait } : {}),
    };
  }

  async warmup(): Promise<void> {
    for (const entry of this.#models.values()) {
      if (!entry.manifest.listed) continue;
      const t = performance.now();
      const provider = await this.#queue.submit(() => this.#threads.warmup(entry), { requester: 'engine:warmup' });
      this.#log.info('model warm', { model: entry.manifest.id, provider, ms: Math.round(performance.now() - t) });
    }
  }

  stats(): QueueStats {
    return this.#queue.stats();
  }

  providers(): string[] {
    return this.#threads.providers();
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#admitting]);
    await this.#queue.close();
    await this.#threads.close();
  }
}
