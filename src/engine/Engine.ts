/**
 * The engine: owns the models and the single accelerator queue, and turns a photo plus options into
 * a cartoon with timings. Knows nothing of chat platforms.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToonError, toToonError } from './errors.ts';
import { stylise } from './fullFrame.ts';
import { decodeImage, encodeImage, MIME_TYPES, probeImage, targetSize, type ImageLimits, type RgbFrame } from './image.ts';
import { JobQueue, DEFAULT_QUEUE_LIMITS, type JobContext, type QueueLimits, type QueueStats } from './JobQueue.ts';
import { silentLogger, type Logger } from './log.ts';
import { loadManifests, type ModelEntry } from './manifest.ts';
import { DEFAULT_OPTIONS, parseOptions, type CartoonOptions, type OutputFormat, type RawOptions } from './options.ts';
import { ModelSession, type RuntimeConfig } from './session.ts';
import { FaceFinder } from './faces/FaceFinder.ts';
import { ellipseMask, CROP_SIZE } from './faces/align.ts';
import { stylisePortrait, type FaceBox } from './portrait.ts';
import sharp from 'sharp';

/** The project's `models/` folder. */
export const DEFAULT_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models');

export interface EngineConfig {
  /** Folder of model manifests. @default the project's models/ */
  modelsDir: string;
  /** Use these models instead of reading `modelsDir` (tests, benchmarks). */
  models?: ModelEntry[];
  runtime: RuntimeConfig;
  queue: QueueLimits;
  limits: ImageLimits;
  logger: Logger;
  /** The style of requests that name none. @default 'toon' */
  defaultStyle: string;
}

export const DEFAULT_ENGINE_CONFIG = {
  modelsDir: DEFAULT_MODELS_DIR,
  runtime: { provider: 'cpu', intraOpThreads: 0, interOpThreads: 0, cpuArena: false },
  queue: DEFAULT_QUEUE_LIMITS,
  // 40 MP covers any phone camera; 50 MiB is above Telegram's and Discord's own caps.
  limits: { maxPixels: 40_000_000, maxBytes: 50 * 1024 * 1024 },
  logger: silentLogger,
  defaultStyle: DEFAULT_OPTIONS.style,
} as const satisfies Omit<EngineConfig, 'models'>;

export interface EngineOptions {
  modelsDir?: string;
  models?: ModelEntry[];
  runtime?: Partial<RuntimeConfig>;
  queue?: Partial<QueueLimits>;
  limits?: Partial<ImageLimits>;
  logger?: Logger;
  defaultStyle?: string;
}

export interface CartoonRequest {
  /** The encoded photo, as received. */
  image: Uint8Array;
  /** Unparsed options (numbers or user-typed strings); see parseOptions. */
  options?: RawOptions;
  /** Who asked, for the per-requester cap. @default 'anonymous' */
  requester?: string;
  /** A shorter deadline than the queue's, for callers with their own (Discord's 15 min token). */
  deadlineMs?: number;
  /** Portrait styles: also return each face's box and keypoints (for a debug overlay). */
  includeFaces?: boolean;
}

/** What the portrait pipeline found, on results of portrait styles. */
export interface PortraitInfo {
  faces: number;
  /** No face was found: the whole picture went through the background model. */
  noFace: boolean;
  detectMs: number;
  /** Time spent on the faces: crop, head model, blend back. */
  headMs: number;
  /** With `includeFaces`: boxes and keypoints in output pixels. */
  boxes?: FaceBox[];
}

export interface SubmitOptions {
  signal?: AbortSignal;
  /** Place in line: 1 = next, 0 = started. Called whenever it changes. */
  onPosition?: (position: number) => void;
}

export interface Timings {
  queued: number;
  decode: number;
  inference: number;
  encode: number;
  total: number;
}

export interface CartoonResult {
  image: Buffer;
  mime: string;
  format: OutputFormat;
  width: number;
  height: number;
  model: string;
  options: CartoonOptions;
  /** Milliseconds, rounded to 0.1. */
  timings: Timings;
  /** Model runs this frame took (1 unless tiled; 0 at strength 0). */
  tiles: number;
  /** Present for portrait styles. */
  portrait?: PortraitInfo;
}

export interface StyleInfo {
  id: string;
  name: string;
  description: string;
}

export interface Engine {
  /** Styles offered to users. */
  styles(): StyleInfo[];
  /** Input limits, for adapters that can check a file before downloading it. */
  readonly limits: Readonly<ImageLimits>;
  /** The style of requests that name none (TOONBOT_DEFAULT_STYLE). */
  readonly defaultStyle: string;
  /**
   * Checks the request, waits its turn, and returns the cartoon.
   * @throws ToonError with a stable code; see ERROR_CODES
   */
  submit(request: CartoonRequest, options?: SubmitOptions): Promise<CartoonResult>;
  /** Opens every listed model's session and runs one small frame through it. */
  warmup(): Promise<void>;
  stats(): QueueStats;
  /** Stops admitting, lets accepted jobs finish, then releases the sessions. */
  close(): Promise<void>;
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const config: EngineConfig = {
    modelsDir: options.modelsDir ?? DEFAULT_ENGINE_CONFIG.modelsDir,
    runtime: { ...DEFAULT_ENGINE_CONFIG.runtime, ...options.runtime },
    queue: { ...DEFAULT_ENGINE_CONFIG.queue, ...options.queue },
    limits: { ...DEFAULT_ENGINE_CONFIG.limits, ...options.limits },
    logger: options.logger ?? DEFAULT_ENGINE_CONFIG.logger,
    defaultStyle: options.defaultStyle ?? DEFAULT_ENGINE_CONFIG.defaultStyle,
  };
  const models = options.models ?? (await loadManifests(config.modelsDir));
  if (models.length === 0) throw new Error(`No model manifests found in ${config.modelsDir}. Possible solutions:\n- run \`npm run models\` to regenerate the built-in style\n- point TOONBOT_MODELS_DIR at a folder of manifests`);
  const listed = models.filter((m) => m.manifest.listed).map((m) => m.manifest.id);
  // A configured default must be on offer; the built-in one may be absent from a custom model set.
  if (options.defaultStyle !== undefined && !listed.includes(config.defaultStyle)) {
    throw new Error(`The default style "${config.defaultStyle}" is not installed. Possible solutions:\n- set TOONBOT_DEFAULT_STYLE to one of: ${listed.join(', ')}\n- install it first (\`npx toonbot models pull <style>\`)`);
  }
  return new ToonEngine(config, models);
}

class ToonEngine implements Engine {
  readonly #config: EngineConfig;
  readonly limits: Readonly<ImageLimits>;
  readonly defaultStyle: string;
  readonly #models: Map<string, ModelEntry>;
  readonly #sessions = new Map<string, Promise<ModelSession>>();
  readonly #masks = new Map<string, Promise<Float32Array>>();
  #finder: Promise<FaceFinder> | undefined;
  readonly #queue: JobQueue;
  readonly #log: Logger;
  /** Submissions between their call and their admission to the queue (probing the header). */
  readonly #admitting = new Set<Promise<unknown>>();
  #closing = false;

  constructor(config: EngineConfig, models: ModelEntry[]) {
    this.#config = config;
    this.limits = Object.freeze({ ...config.limits });
    this.defaultStyle = config.defaultStyle;
    this.#models = new Map(models.map((m) => [m.manifest.id, m]));
    this.#queue = new JobQueue(config.queue);
    this.#log = config.logger;
  }

  styles(): StyleInfo[] {
    return [...this.#models.values()]
      .filter((m) => m.manifest.listed)
      .map(({ manifest: { id, name, description } }) => ({ id, name, description }));
  }

  async submit(request: CartoonRequest, options: SubmitOptions = {}): Promise<CartoonResult> {
    const start = performance.now();
    if (this.#closing) throw new ToonError('SHUTTING_DOWN');
    const opts = parseOptions(request.options, [...this.#models.keys()], { style: this.defaultStyle });
    const entry = this.#models.get(opts.style) as ModelEntry;
    const requester = request.requester ?? 'anonymous';
    // A request that arrived before close() is still admitted: close() waits for its admission
    // (the header probe), which ends once the job is in the queue.
    const admission = (async () => {
      const probed = await probeImage(request.image, this.#config.limits);
      const size = targetSize(probed.width, probed.height, opts.resolution);
      const job = this.#queue.submit((context) => this.#run(request.image, size, entry, opts, request.includeFaces === true, context), {
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
    for (const key of Object.keys(timings) as (keyof Timings)[]) timings[key] = Math.round(timings[key] * 10) / 10;
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

  /** One job's work, inside the queue: decode, stylise, blend, encode. */
  async #run(
    image: Uint8Array,
    size: { width: number; height: number },
    entry: ModelEntry,
    opts: CartoonOptions,
    includeFaces: boolean,
    { signal, queuedMs }: JobContext,
  ): Promise<{ image: Buffer; tiles: number; portrait?: PortraitInfo; timings: Omit<Timings, 'total'> }> {
    let t = performance.now();
    const photo = await decodeImage(image, size.width, size.height, this.#config.limits);
    const decode = performance.now() - t;
    signal.throwIfAborted();

    t = performance.now();
    let frame: RgbFrame = photo;
    let tiles = 0;
    let portrait: PortraitInfo | undefined;
    const side = Math.max(size.width, size.height);
    if (entry.manifest.pipeline === 'portrait') {
      // Faces are looked for even at strength 0, so that the result reports them alike.
      const [background, head, finder] = await Promise.all([this.#session(forSide(entry, side)), this.#session(forSide(headEntry(entry), side)), this.#faceFinder()]);
      const models = { background: modelOf(background), head: modelOf(head), mask: (n: number) => this.#mask(entry, n), nativeCrop: entry.manifest.head?.crop === 'native' };
      const out = await stylisePortrait(models, finder, photo, opts.strength, signal);
      frame = out.frame;
      tiles = out.tiles;
      portrait = { faces: out.faces.length, noFace: out.faces.length === 0, detectMs: round1(out.detectMs), headMs: round1(out.headMs), ...(includeFaces ? { boxes: out.faces } : {}) };
    } else if (opts.strength > 0) {
      const session = await this.#session(forSide(entry, side));
      const styled = await stylise(modelOf(session), photo, opts.strength, signal);
      tiles = styled.stats.tiles;
      frame = styled.frame;
    }
    const inference = performance.now() - t;
    signal.throwIfAborted();

    t = performance.now();
    const encoded = await encodeImage(frame, opts.format);
    const encode = performance.now() - t;
    return { image: encoded, tiles, ...(portrait ? { portrait } : {}), timings: { queued: queuedMs, decode, inference, encode } };
  }

  async warmup(): Promise<void> {
    const frame: RgbFrame = { data: Buffer.alloc(64 * 64 * 3, 128), width: 64, height: 64 };
    if ([...this.#models.values()].some((m) => m.manifest.listed && m.manifest.pipeline === 'portrait')) await this.#faceFinder();
    for (const entry of this.#models.values()) {
      if (!entry.manifest.listed) continue;
      const t = performance.now();
      const session = await this.#session(entry);
      await this.#queue.submit(() => stylise(modelOf(session), frame, 1), { requester: 'engine:warmup' });
      this.#log.info('model warm', { model: entry.manifest.id, provider: session.provider, ms: Math.round(performance.now() - t) });
    }
  }

  stats(): QueueStats {
    return this.#queue.stats();
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#admitting]);
    await this.#queue.close();
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of await Promise.allSettled(sessions)) if (s.status === 'fulfilled') await s.value.dispose();
    const finder = this.#finder;
    this.#finder = undefined;
    if (finder) await (await finder.catch(() => undefined))?.dispose();
  }

  /** The model's session, opened on first use and kept. A failed open is retried next time. */
  #session(entry: ModelEntry): Promise<ModelSession> {
    // Keyed by file and checksum: a portrait style whose head is its background shares one session.
    const key = `${entry.file}#${entry.manifest.sha256}`;
    let session = this.#sessions.get(key);
    if (!session) {
      session = ModelSession.open(entry, this.#config.runtime, this.#log);
      this.#sessions.set(key, session);
      // Not cached when it fails: a model file restored on disk is picked up by the next job.
      session.catch(() => this.#sessions.delete(key));
    }
    return session;
  }

  /** The face crops' soft mask at `size`²: the manifest's file, else the generated ellipse. */
  #mask(entry: ModelEntry, size = CROP_SIZE): Promise<Float32Array> {
    const key = `${entry.maskFile ?? ''}#${size}`;
    let mask = this.#masks.get(key);
    if (!mask) {
      mask = entry.maskFile
        ? sharp(entry.maskFile).greyscale().resize(size, size, { fit: 'fill' }).raw().toBuffer().then((b) => Float32Array.from(b, (v) => v / 255))
        : Promise.resolve(ellipseMask(size));
      // Native crops come in many sizes: keep the cache small.
      if (this.#masks.size > 32) this.#masks.clear();
      this.#masks.set(key, mask);
      mask.catch(() => this.#masks.delete(key));
    }
    return mask;
  }

  #faceFinder(): Promise<FaceFinder> {
    if (!this.#finder) {
      const opening = FaceFinder.open(this.#config.runtime);
      this.#finder = opening;
      // Not cached when it fails: the next portrait job tries again.
      opening.catch(() => {
        if (this.#finder === opening) this.#finder = undefined;
      });
    }
    return this.#finder;
  }
}

/** The head model of a portrait entry, as an entry of its own. */
function headEntry(entry: ModelEntry): ModelEntry {
  const { head } = entry.manifest;
  if (!head || !entry.headFile) throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: entry.manifest.id, reason: 'portrait style without a head model' } });
  const { variants: _variants, ...manifest } = entry.manifest;
  return {
    file: entry.headFile,
    ...(entry.headVariantFiles ? { variantFiles: entry.headVariantFiles } : {}),
    manifest: {
      ...manifest,
      id: `${entry.manifest.id}:head`,
      pipeline: 'full-frame',
      file: head.file,
      sha256: head.sha256,
      io: head.io ?? entry.manifest.io,
      ...(head.variants ? { variants: head.variants } : {}),
    },
  };
}

/**
 * The entry's graph for outputs whose long side is `side`: of `file` and its size variants, the one
 * whose side is nearest in ratio. Entries without variants are returned as they are.
 */
export function forSide(entry: ModelEntry, side: number): ModelEntry {
  const { manifest } = entry;
  if (!manifest.variants || manifest.side === undefined) return entry;
  let best = { side: manifest.side, file: manifest.file, sha256: manifest.sha256 };
  for (const v of manifest.variants) if (Math.abs(Math.log(v.side / side)) < Math.abs(Math.log(best.side / side))) best = v;
  if (best.side === manifest.side) return entry;
  const file = entry.variantFiles?.get(best.side);
  if (!file) throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: manifest.id, reason: 'size variant without a file', side: best.side } });
  return { ...entry, file, manifest: { ...manifest, file: best.file, sha256: best.sha256, side: best.side } };
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function modelOf(session: ModelSession) {
  return { io: session.entry.manifest.io, tile: session.entry.manifest.tile, run: session.run.bind(session) };
}
