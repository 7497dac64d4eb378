/**
 * The engine: owns the models and the single accelerator queue, and turns a photo plus options into
 * a cartoon with timings. Knows nothing of chat platforms. The shell (EngineShell.ts) keeps the
 * line; here the models run on inference threads of this process.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineShell, type Backend, type BackendContext, type BackendJob } from './EngineShell.ts';
import { DEFAULT_MAX_UPSCALE } from './image.ts';
import { DEFAULT_QUEUE_LIMITS, type QueueLimits } from './JobQueue.ts';
import { silentLogger, type Logger } from './log.ts';
import { loadManifests, type ModelEntry } from './manifest.ts';
import { DEFAULT_OPTIONS } from './options.ts';
import type { JobOutput } from './pipeline.ts';
import { InferencePool, type DecodedAhead } from './threads/InferencePool.ts';
import type { Engine, EngineConfig, EngineOptions } from './types.ts';

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

/**
 * The engine's configuration from the caller's options: the defaults filled in once, the models
 * read, and the start-up checks (a folder without manifests, a default style that is not installed)
 * made once, for the embedded engine and for scale-out's RemoteEngine alike.
 * @throws Error with the ways out when the models cannot serve
 */
export async function resolveEngineConfig(options: EngineOptions = {}): Promise<EngineConfig & { models: ModelEntry[] }> {
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
  if (models.length === 0)
    throw new Error(
      `No model manifests found in ${config.modelsDir}. Possible solutions:\n- run \`npm run models\` to regenerate the built-in style\n- point TOONBOT_MODELS_DIR at a folder of manifests`,
    );
  const listed = models.filter((m) => m.manifest.listed).map((m) => m.manifest.id);
  const names = [...listed, ...models.filter((m) => m.manifest.listed).flatMap((m) => m.manifest.aliases ?? [])];
  // A configured default must be on offer; the built-in one may be absent from a custom model set.
  if (options.defaultStyle !== undefined && !names.includes(config.defaultStyle)) {
    throw new Error(
      `The default style "${config.defaultStyle}" is not installed. Possible solutions:\n- set TOONBOT_DEFAULT_STYLE to one of: ${listed.join(', ')}\n- install it first (\`npx toonbot models pull <style>\`)`,
    );
  }
  return { ...config, models };
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const config = await resolveEngineConfig(options);
  return new EngineShell(config, new ThreadBackend(config, options.inferenceScript));
}

/** The models run on inference threads of this process: no model run or pixel loop on the main thread. */
class ThreadBackend implements Backend {
  readonly positions = 'line';
  readonly #threads: InferencePool;
  readonly #concurrency: number;
  readonly #log: Logger;

  constructor(config: EngineConfig, inferenceScript: URL | undefined) {
    this.#concurrency = Math.max(1, config.queue.concurrency);
    this.#log = config.logger;
    this.#threads = new InferencePool({ runtime: config.runtime, limits: config.limits, logger: config.logger, size: this.#concurrency, ...(inferenceScript ? { script: inferenceScript } : {}) });
  }

  lineLimits(limits: QueueLimits): QueueLimits {
    return limits;
  }

  runners(): number {
    return this.#concurrency;
  }

  run({ image, size, sourceLong, entry, options, includeFaces, clip }: BackendJob, context: BackendContext): Promise<JobOutput> {
    return this.#threads.run({ image, size, ...(sourceLong === undefined ? {} : { sourceLong }), entry, options, includeFaces, ...(clip ? { clip } : {}) }, context);
  }

  decodeAhead({ image, size }: BackendJob): DecodedAhead | undefined {
    return this.#threads.decodeAhead({ image, size });
  }

  providers(): string[] {
    return this.#threads.providers();
  }

  async warmup(models: ModelEntry[], run: <T>(task: () => Promise<T>) => Promise<T>): Promise<void> {
    for (const entry of models) {
      if (!entry.manifest.listed) continue;
      const t = performance.now();
      const provider = await run(() => this.#threads.warmup(entry));
      this.#log.info('model warm', { model: entry.manifest.id, provider, ms: Math.round(performance.now() - t) });
    }
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}
