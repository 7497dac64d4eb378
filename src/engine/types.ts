/** The engine's public types: what front ends send, what they get back, and the engine itself. */
import type { ClipFormat, ClipRequest } from './clip/clip.ts';
import type { ErrorCode, ToonError } from './errors.ts';
import type { ImageLimits } from './image.ts';
import type { QueueLimits, QueueStats } from './JobQueue.ts';
import type { Logger } from './log.ts';
import type { ModelEntry } from './manifest.ts';
import type { CartoonOptions, OutputFormat, RawOptions } from './options.ts';
import type { Point } from './faces/BlazeFace.ts';
import type { RuntimeConfig } from './runtime.ts';

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
  /** Told how every submission ended (metrics); must not throw. */
  onJob?: (event: JobEvent) => void;
}

/** How one submission ended, for metrics: no image, no user text. */
export interface JobEvent {
  /** "telegram:123"; observers keep only the platform part. */
  requester: string;
  style: string;
  /** 'done', or the error code it ended with (refusals included). */
  outcome: 'done' | ErrorCode;
  /** Set for finished jobs. */
  waitMs?: number;
  processingMs?: number;
}

export interface EngineOptions {
  modelsDir?: string;
  models?: ModelEntry[];
  runtime?: Partial<RuntimeConfig>;
  queue?: Partial<QueueLimits>;
  limits?: Partial<ImageLimits>;
  logger?: Logger;
  defaultStyle?: string;
  onJob?: (event: JobEvent) => void;
  /** Another inference thread script, answering the same messages (tests of a thread's crash). */
  inferenceScript?: URL;
}

export interface CartoonRequest {
  /** The encoded photo, as received. */
  image: Uint8Array;
  /**
   * Typed options (from `engine.parseOptions` at the front end's boundary); absent ones take the
   * defaults. Values are range-checked, not parsed again.
   */
  options?: Partial<CartoonOptions>;
  /** Who asked, for the per-requester cap. @default 'anonymous' */
  requester?: string;
  /** A shorter deadline than the queue's, for callers with their own (Discord's 15 min token). */
  deadlineMs?: number;
  /** Portrait styles: also return each face's box and keypoints (for a debug overlay). */
  includeFaces?: boolean;
  /**
   * Where the answer goes, as plain JSON from the adapter, for a bot that restarts while its job
   * runs on a worker (scale-out mode); the embedded engine ignores it.
   */
  replyTo?: ReplyAddress;
  /**
   * The caller can answer with a clip: an animated GIF or WebP, or a video, comes back as a
   * cartoon clip (clip/clip.ts). Without it an animation is cartoonised as its first frame and a
   * video is refused as no image.
   */
  clip?: ClipRequest;
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
  /** A clip's frames drawn so far, after each frame. */
  onProgress?: (progress: Progress) => void;
  /**
   * A clip's cost in photos (its frames times their size), once its header is read and before it
   * joins the line: a front end spends it from a daily allowance, and may refuse it by throwing.
   */
  onCost?: (photos: number) => Promise<void>;
  /**
   * The job is now kept by a line that outlives this process (scale-out: it is in Redis), so a
   * restarted bot is answered from there; never called for the embedded line.
   */
  onDurable?: () => void;
}

/** How far a clip has come: `frame` of about `frames` drawn. */
export interface Progress {
  frame: number;
  frames: number;
}

/** A job's stages in ms, which add up to total (from submission to the answer). */
export interface Timings {
  /**
   * Waiting with nothing done for the job: the line, the header check, the way to the runner.
   * A photo decoded ahead (next in line) was decoded while it waited, so its time in the line
   * was queued + decode.
   */
  queued: number;
  decode: number;
  inference: number;
  encode: number;
  total: number;
}

export interface CartoonResult {
  image: Buffer;
  mime: string;
  /** An image format for a photo; `mp4` or `gif` for a clip. */
  format: OutputFormat | ClipFormat;
  /** A clip's frames and their rate, and the most faces a look drew in one of its frames. */
  clip?: { frames: number; fps: number; faces: number };
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

/**
 * Where a job's answer goes, as plain JSON from the adapter that took it (a chat and a message,
 * an interaction token): kept with the job in scale-out mode, handed back to that adapter's
 * `answerLater` by a restarted bot.
 */
export type ReplyAddress = { platform: string } & Record<string, unknown>;

/** How a job ended, told later to whoever answers it (scale-out mode: a bot restarted meanwhile). */
export type LateOutcome = { result: CartoonResult } | { error: ToonError };

/** A place held in line (see Engine.reserve). */
export interface Ticket {
  /** Submits the job into the held place (once); the requester is the ticket's. */
  submit(request: Omit<CartoonRequest, 'requester'>, options?: SubmitOptions): Promise<CartoonResult>;
  /** Gives the place back; a no-op once submitted. */
  release(): void;
}

export interface StyleInfo {
  id: string;
  name: string;
  description: string;
  /** The description in other languages, by language code. */
  descriptions?: Record<string, string>;
  /** The model's licence (SPDX id or the publisher's terms). */
  license: string;
  /** Faces are found and redrawn on their own (`includeFaces` returns their boxes). */
  portrait: boolean;
  /** Old names that still pick this style (not offered, accepted). */
  aliases?: string[];
}

export interface Engine {
  /** Styles offered to users. */
  styles(): StyleInfo[];
  /** Input limits, for adapters that can check a file before downloading it. */
  readonly limits: Readonly<ImageLimits>;
  /** The style of requests that name none (TOONBOT_DEFAULT_STYLE). */
  readonly defaultStyle: string;
  /**
   * User-typed or numeric options to typed ones, against the styles offered; absent options take
   * `defaults`, then the engine's. Call once, where a request enters.
   * @throws ToonError INVALID_OPTION, with `detail.option` naming the culprit
   */
  parseOptions(raw?: RawOptions, defaults?: Partial<CartoonOptions>): CartoonOptions;
  /**
   * Whether `jobs` more jobs joining the line now can be done within `withinMs`, judged from the
   * line's length and recent job times. Call before downloading anything.
   * @throws ToonError SHUTTING_DOWN, or DEADLINE_TOO_SHORT with the estimate in `detail`
   */
  admit(jobs: number, withinMs: number): void;
  /**
   * Holds a place in line for `requester` before anything is downloaded: the line's bound and the
   * requester's cap are checked now, and the place counts against both until the ticket is used
   * or released. Release it in a `finally`.
   * @throws ToonError SHUTTING_DOWN, QUEUE_FULL or USER_BUSY
   */
  reserve(requester: string): Ticket;
  /**
   * Checks the request, waits its turn, and returns the cartoon.
   * @throws ToonError with a stable code; see ErrorCode
   */
  submit(request: CartoonRequest, options?: SubmitOptions): Promise<CartoonResult>;
  /**
   * Ends every accepted job, waiting or running, with SHUTTING_DOWN (the end of a stop's grace
   * period): their callers are answered at once, and nothing new is admitted.
   */
  cancelAll(): void;
  /** Opens every listed model's session and runs one small frame through it. */
  warmup(): Promise<void>;
  stats(): QueueStats;
  /** The execution providers the models opened so far actually run on ('cpu' after a fallback). */
  providers(): string[];
  /**
   * Whether new photos can be taken now (scale-out: Redis is reachable). When not, submissions
   * are refused with UNAVAILABLE and the health check says so. Absent: always.
   */
  available?(): boolean;
  /** Stops admitting, lets accepted jobs finish, then releases the sessions. */
  close(): Promise<void>;
}

/** A face a portrait style found and redrew, in output pixels. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  keypoints: Point[];
  /** Image-space bounds of the aligned crop: nothing outside them is touched for this face. */
  region: { x0: number; y0: number; x1: number; y1: number };
}
