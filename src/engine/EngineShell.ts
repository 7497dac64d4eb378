/**
 * One engine shell for both modes: options, the image header check, the line (bound, per-user
 * caps, reservations, deadlines, cancellation), submit timings, admission and the job observer,
 * written once. Where the models run is a Backend: inference threads in this process (Engine.ts),
 * or GPU workers behind Redis (scale/RemoteEngine.ts).
 */
import { Admission } from './admission.ts';
import { CLIP_LIMITS, CLIP_MIME, planClip, sniffClip, type ClipPlan } from './clip/clip.ts';
import { ToonError, toToonError } from './errors.ts';
import { MIME_TYPES, outputSide, probeImage, targetSize, type ImageLimits } from './image.ts';
import { JobQueue } from './JobQueue.ts';
import type { Logger } from './log.ts';
import type { ModelEntry } from './manifest.ts';
import { DEFAULT_OPTIONS, isParsed, OPTION_LIMITS, parseOptions, type CartoonOptions, type RawOptions } from './options.ts';
import { round1, type JobInput, type JobOutput } from './pipeline.ts';
import type { DecodedAhead } from './threads/InferencePool.ts';
import type { JobContext, JobOptions, QueueLimits, QueueStats } from './queueTypes.ts';
import { listedStyles, styleNames } from './styles.ts';
import { openTicket } from './ticket.ts';
import type { CartoonRequest, CartoonResult, Engine, JobEvent, Progress, ReplyAddress, StyleInfo, SubmitOptions, Ticket, Timings } from './types.ts';

/** One accepted job, as a backend runs it: the photo (or clip), the size it was checked to, the options, who asked. */
export interface BackendJob extends JobInput {
  requester: string;
  /** When the job's deadline passes (epoch ms): a worker elsewhere drops it after that. */
  deadlineAt: number;
  replyTo?: ReplyAddress;
}

export interface BackendContext extends JobContext {
  /** The place in line, for backends that keep the line themselves (see Backend.positions). */
  onPosition?: (position: number) => void;
  /** A clip's frames drawn so far. */
  onProgress?: (progress: Progress) => void;
  /** The job is in a line that outlives this process (SubmitOptions.onDurable). */
  onDurable?: () => void;
  /** Its photo, decoded ahead while it waited next in line (Backend.decodeAhead). */
  ahead?: DecodedAhead;
}

/** Where the models run. */
export interface Backend {
  /**
   * Who tells a job its place in line: 'line' (the shell's own queue: jobs wait here for a
   * runner) or 'backend' (jobs wait elsewhere, in a line shared with other processes).
   */
  readonly positions: 'line' | 'backend';
  /** The shell's queue limits for this backend (its concurrency: how many jobs it takes at once). */
  lineLimits(limits: QueueLimits): QueueLimits;
  /** Runners serving the line (threads, live workers): admission shares the work among them. */
  runners(): number;
  /** Refuses a new job before anything is fetched (a shared line at its bound, a queue away). */
  checkRoom?(reserved: number): void;
  /** Runs one job: the encoded cartoon, its tiles, faces and stage timings. */
  run(job: BackendJob, context: BackendContext): Promise<JobOutput>;
  /**
   * Starts decoding a photo whose job is next in line for a runner (the shell's line), so that
   * its decode runs beside the job before it; `run` then gets it as `context.ahead`.
   */
  decodeAhead?(job: BackendJob): DecodedAhead | undefined;
  /** The line as users see it, from this process's own figures. */
  stats?(local: QueueStats): QueueStats;
  providers(): string[];
  /** Readies the models (`run` sends a task through the shell's line). */
  warmup(models: ModelEntry[], run: <T>(task: () => Promise<T>) => Promise<T>): Promise<void>;
  close(): Promise<void>;
}

export interface ShellConfig {
  models: ModelEntry[];
  queue: QueueLimits;
  limits: ImageLimits;
  logger: Logger;
  defaultStyle: string;
  onJob?: ((event: JobEvent) => void) | undefined;
}

type Enqueue = (task: (context: JobContext) => Promise<JobOutput>, jobOptions: Omit<JobOptions, 'requester'>) => Promise<JobOutput>;

export class EngineShell implements Engine {
  readonly limits: Readonly<ImageLimits>;
  readonly defaultStyle: string;
  protected readonly log: Logger;
  protected readonly backend: Backend;
  readonly #config: ShellConfig;
  readonly #models: Map<string, ModelEntry>;
  readonly #line: JobQueue;
  readonly #deadlineMs: number;
  readonly #admission = new Admission();
  /** Submissions between their call and their place in line (probing the header). */
  readonly #admitting = new Set<Promise<unknown>>();
  #closing = false;

  constructor(config: ShellConfig, backend: Backend) {
    this.#config = config;
    this.backend = backend;
    this.limits = Object.freeze({ ...config.limits });
    this.log = config.logger;
    // Styles by id and by alias (an alias runs its style, under the style's own id).
    this.#models = new Map(config.models.flatMap((m) => [m.manifest.id, ...(m.manifest.aliases ?? [])].map((id) => [id, m] as const)));
    this.defaultStyle = this.#models.get(config.defaultStyle)?.manifest.id ?? config.defaultStyle;
    this.#line = new JobQueue(backend.lineLimits(config.queue));
    this.#deadlineMs = this.#line.limits.deadlineMs;
  }

  /** Stopping: new photos are refused with SHUTTING_DOWN. */
  protected get closing(): boolean {
    return this.#closing;
  }

  styles(): StyleInfo[] {
    return listedStyles(new Set(this.#models.values()));
  }

  parseOptions(raw?: RawOptions, defaults: Partial<CartoonOptions> = {}): CartoonOptions {
    return parseOptions(raw, styleNames(this.styles()), { style: this.defaultStyle, ...defaults });
  }

  admit(jobs: number, withinMs: number): void {
    if (this.#closing) throw new ToonError('SHUTTING_DOWN');
    this.#admission.check(this.stats(), jobs, withinMs, this.backend.runners());
  }

  reserve(requester: string): Ticket {
    return openTicket(
      () => {
        this.#checkRoom();
        return this.#line.reserve(requester);
      },
      (outcome) => this.#report({ requester, style: this.defaultStyle, outcome }),
      (request, options, reservation) => this.#submit({ ...request, requester }, options, (task, jobOptions) => reservation.submit(task, jobOptions)),
    );
  }

  submit(request: CartoonRequest, options: SubmitOptions = {}): Promise<CartoonResult> {
    const requester = request.requester ?? 'anonymous';
    return this.#submit(request, options, (task, jobOptions) => this.#line.submit(task, { requester, ...jobOptions }), { checkRoom: true });
  }

  cancelAll(): void {
    this.#closing = true;
    this.#line.cancelAll(new ToonError('SHUTTING_DOWN'));
  }

  stats(): QueueStats {
    const local = this.#line.stats();
    return this.backend.stats ? this.backend.stats(local) : local;
  }

  providers(): string[] {
    return this.backend.providers();
  }

  async warmup(): Promise<void> {
    await this.backend.warmup([...new Set(this.#models.values())], (task) => this.#line.submit(task, { requester: 'engine:warmup' }));
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#admitting]);
    await this.#line.close();
    await this.backend.close();
  }

  #checkRoom(): void {
    if (this.#closing) throw new ToonError('SHUTTING_DOWN');
    this.backend.checkRoom?.(this.#line.stats().reserved);
  }

  /** Runs a submission, tells the observer how it ended, and logs it. */
  async #submit(request: CartoonRequest, options: SubmitOptions, enqueue: Enqueue, { checkRoom = false } = {}): Promise<CartoonResult> {
    const started = performance.now();
    const requester = request.requester ?? 'anonymous';
    let style = typeof request.options?.style === 'string' ? request.options.style : this.defaultStyle;
    try {
      // Before the first await: a job submitted before close() is accepted, one after is not.
      if (checkRoom) this.#checkRoom();
      else if (this.#closing) throw new ToonError('SHUTTING_DOWN');
      // Options a front end parsed (engine.parseOptions) are taken as they are; raw ones (the CLI,
      // scripts) are range-checked and completed here, where unlisted models (benchmarks) are allowed.
      const opts = isParsed(request.options) ? { ...request.options } : parseOptions(request.options, [...this.#models.keys()], { style: this.defaultStyle });
      const entry = this.#models.get(opts.style) as ModelEntry;
      opts.style = entry.manifest.id;
      style = opts.style;
      // A request that arrived before close() is still admitted: close() waits for its admission
      // (the header probe: a bad file never joins the line), which ends once the job is in line.
      const admission = this.#admit(request, opts, entry, options, enqueue);
      this.#admitting.add(admission);
      admission.then(
        () => this.#admitting.delete(admission),
        () => this.#admitting.delete(admission),
      );
      const { size, job, clip } = await admission;
      const output = await job;
      const processing = output.timings.decode + output.timings.inference + output.timings.encode;
      const total = performance.now() - started;
      // Waiting is all that was not processing: the line, the header check, the way to the runner.
      // The stages add up to the total; a photo decoded ahead spent its decode in the line (Timings).
      const timings: Timings = { ...output.timings, queued: Math.max(0, total - processing), total };
      for (const key of Object.keys(timings) as (keyof Timings)[]) timings[key] = round1(timings[key]);
      this.#admission.done(processing, clip?.cost);
      this.log.info('job done', { model: opts.style, width: size.width, height: size.height, tiles: output.tiles, ...timings, ...(output.decodedAhead ? { decodedAhead: true } : {}) });
      this.#report({ requester, style, outcome: 'done', waitMs: timings.queued, processingMs: processing });
      return {
        image: output.image,
        mime: clip ? CLIP_MIME[clip.format] : MIME_TYPES[opts.format],
        format: clip ? clip.format : opts.format,
        ...(output.clip ? { clip: output.clip } : {}),
        width: size.width,
        height: size.height,
        model: opts.style,
        options: opts,
        timings,
        tiles: output.tiles,
        ...(output.portrait ? { portrait: output.portrait } : {}),
      };
    } catch (error) {
      const failure = toToonError(error);
      const level = failure.code === 'INTERNAL' || failure.code === 'MODEL_UNAVAILABLE' ? 'error' : 'info';
      this.log[level]('job failed', { code: failure.code, model: style, requester, ...failure.detail, ...(level === 'error' ? { error: failure.cause ?? failure } : {}) });
      this.#report({ requester, style, outcome: failure.code });
      throw failure;
    }
  }

  /** Checks the header, sizes the output, and puts the job in line. */
  async #admit(request: CartoonRequest, opts: CartoonOptions, entry: ModelEntry, options: SubmitOptions, enqueue: Enqueue) {
    const clip = request.clip ? await this.#planClip(request, opts) : undefined;
    let size: { width: number; height: number };
    let sourceLong: number | undefined;
    if (clip) size = { width: clip.width, height: clip.height };
    else {
      const probed = await probeImage(request.image, this.limits);
      sourceLong = Math.max(probed.width, probed.height);
      const side = outputSide(opts.resolution, sourceLong, this.limits, OPTION_LIMITS.resolution.min);
      size = targetSize(probed.width, probed.height, side);
    }
    if (clip && options.onCost) await options.onCost(clip.cost);
    const deadlineMs = Math.min(request.deadlineMs ?? this.#deadlineMs, this.#deadlineMs);
    const job: BackendJob = {
      image: request.image,
      size,
      ...(sourceLong === undefined ? {} : { sourceLong }),
      entry,
      options: opts,
      includeFaces: request.includeFaces === true,
      ...(clip ? { clip } : {}),
      requester: request.requester ?? 'anonymous',
      deadlineAt: Date.now() + deadlineMs,
      ...(request.replyTo ? { replyTo: request.replyTo } : {}),
    };
    const { onProgress, onDurable, signal } = options;
    const own = this.backend.positions === 'backend';
    // Next in line for a runner: the photo is decoded now, beside the job before it.
    let ahead: DecodedAhead | undefined;
    let started = false;
    const lookAhead = (position: number): void => {
      if (!ahead && !started && !clip && position >= 1 && position <= this.backend.runners()) ahead = this.backend.decodeAhead?.(job);
    };
    const onPosition =
      own || !this.backend.decodeAhead
        ? options.onPosition
        : (position: number): void => {
            lookAhead(position);
            options.onPosition?.(position);
          };
    const promise = enqueue(
      (context) => {
        started = true;
        return this.backend.run(job, {
          ...context,
          ...(own && onPosition ? { onPosition } : {}),
          ...(onProgress ? { onProgress } : {}),
          ...(onDurable ? { onDurable } : {}),
          ...(ahead ? { ahead } : {}),
        });
      },
      {
        ...(signal ? { signal } : {}),
        ...(!own && onPosition ? { onPosition } : {}),
        ...(clip ? { weight: clip.cost } : {}),
        deadlineMs,
      },
    );
    // A job that left the line before its turn drops its photo decoded ahead.
    promise.catch(() => {
      if (!started) ahead?.drop();
    });
    return { size, job: promise, clip };
  }

  /**
   * A clip's plan when the request may be answered with one and the bytes are a clip; undefined
   * for a photo (or a one-frame GIF). A clip's long side is CLIP_LIMITS.side unless a resolution
   * other than the default was asked for (up to CLIP_LIMITS.maxSide).
   */
  async #planClip(request: CartoonRequest, opts: CartoonOptions): Promise<ClipPlan | undefined> {
    if (request.image.byteLength > this.limits.maxBytes) return undefined; // refused by the photo probe, with its message
    const source = await sniffClip(request.image);
    if (!source) return undefined;
    const side = opts.resolution === DEFAULT_OPTIONS.resolution ? CLIP_LIMITS.side : opts.resolution;
    return planClip(request.image, source, request.clip ?? {}, side, this.limits.maxPixels);
  }

  #report(event: JobEvent): void {
    try {
      this.#config.onJob?.(event);
    } catch (error) {
      this.log.warn('job observer failed', { error });
    }
  }
}
