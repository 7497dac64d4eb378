/**
 * One job's work, inside the queue: decode, the style's pipeline (full frame, or portrait with
 * faces), encode; for a clip, the same pipeline on every frame (clip/clip.ts). Each stage is timed; the job's signal is checked between them.
 * A photo gives the accelerator back once drawn: its encode runs beside the next job's work; and
 * a photo next in line may be decoded ahead, beside the job before it (decodeAhead).
 */
import { runClip, type ClipPlan } from './clip/clip.ts';
import { stylise } from './fullFrame.ts';
import { decodeImage, encodeImage, type ImageLimits, type RgbFrame } from './image.ts';
import type { JobContext } from './JobQueue.ts';
import type { ModelEntry } from './manifest.ts';
import type { ModelCache } from './ModelCache.ts';
import type { CartoonOptions } from './options.ts';
import { stylisePortrait } from './portrait.ts';
import type { PortraitInfo, Progress, Timings } from './types.ts';

export interface JobInput {
  image: Uint8Array;
  size: { width: number; height: number };
  /**
   * The photo's own long side (px) before it is scaled to `size`: its faces are looked for no
   * closer than the photo has them (FaceFinder, UPSCALED_FROM). Absent for a clip.
   */
  sourceLong?: number;
  entry: ModelEntry;
  options: CartoonOptions;
  includeFaces: boolean;
  /** A clip: its plan, made when its header was read (a scale-out worker plans it again from the request). */
  clip?: ClipPlan;
}

export interface JobOutput {
  image: Buffer;
  tiles: number;
  portrait?: PortraitInfo;
  /** A clip's frames and rate, and the most faces drawn in one of its frames. */
  clip?: { frames: number; fps: number; faces: number };
  timings: Omit<Timings, 'total'>;
  /** The photo was decoded ahead, while the job waited next in line (its decode time was spent then). */
  decodedAhead?: boolean;
}

/**
 * A job's context where it runs: its signal, its wait, for a clip the way between its parts, and
 * for a photo the moment it is done with the accelerator (`release`, before its encode).
 */
export interface RunContext extends Omit<JobContext, 'turn'> {
  /** Between a clip's parts: reports its progress, resolves when it may go on (photos may pass first). */
  between?: (progress: Progress) => Promise<void>;
  /** The photo, decoded ahead while the job waited next in line (see decodeAhead), and how long that took. */
  decoded?: Promise<Decoded>;
}

/** A photo decoded ahead of its job, and the decode's own time (ms). */
export interface Decoded {
  frame: RgbFrame;
  ms: number;
}

/**
 * Decodes a job's photo before its turn (it waits next in line while another job draws): its
 * decode then runs beside that job's graph instead of before its own. Rejects as the job's
 * decode would (a corrupt photo fails its job, when the job runs).
 */
export async function decodeAhead(limits: ImageLimits, job: Pick<JobInput, 'image' | 'size'>): Promise<Decoded> {
  const t = performance.now();
  const frame = await decodeImage(job.image, job.size.width, job.size.height, limits);
  return { frame, ms: performance.now() - t };
}

export async function runJob(models: ModelCache, limits: ImageLimits, job: JobInput, context: RunContext): Promise<JobOutput> {
  const { signal, queuedMs } = context;
  if (job.clip) return runClipJob(models, job, job.clip, context);
  const { options } = job;
  const { frame, ms: decode } = await (context.decoded ?? decodeAhead(limits, job));
  const photo: RgbFrame = job.sourceLong === undefined ? frame : { ...frame, sourceLong: job.sourceLong };
  signal.throwIfAborted();

  let t = performance.now();
  const drawn = await drawFrame(models, job, photo, signal);
  const inference = performance.now() - t;
  signal.throwIfAborted();
  // Drawn: the accelerator may serve the next job while this one encodes.
  context.release?.();

  t = performance.now();
  const encoded = await encodeImage(drawn.frame, options.format, options.quality);
  const encode = performance.now() - t;
  return {
    image: encoded,
    tiles: drawn.tiles,
    ...(drawn.portrait ? { portrait: drawn.portrait } : {}),
    timings: { queued: queuedMs, decode, inference, encode },
    ...(context.decoded ? { decodedAhead: true } : {}),
  };
}

/** A clip: every frame through drawFrame, kept steady, encoded (clip/clip.ts). */
async function runClipJob(models: ModelCache, job: JobInput, plan: ClipPlan, { signal, queuedMs, between }: RunContext): Promise<JobOutput> {
  const out = await runClip(
    job.image,
    plan,
    async (frame) => {
      const drawn = await drawFrame(models, { ...job, includeFaces: false }, frame, signal);
      return { frame: drawn.frame, tiles: drawn.tiles, faces: drawn.portrait?.faces ?? 0 };
    },
    signal,
    between,
  );
  return { image: out.image, tiles: out.tiles, clip: { frames: out.frames, fps: out.fps, faces: out.faces }, timings: { queued: queuedMs, ...out.timings } };
}

/** One frame through the style's pipeline: whole frame, or whole frame and each face at its own scale. */
async function drawFrame(
  models: ModelCache,
  job: Pick<JobInput, 'entry' | 'options' | 'includeFaces'>,
  photo: RgbFrame,
  signal: AbortSignal,
): Promise<{ frame: RgbFrame; tiles: number; portrait?: PortraitInfo }> {
  const { entry, options } = job;
  const side = Math.max(photo.width, photo.height);
  if (entry.manifest.pipeline === 'portrait') {
    // Faces are looked for even at strength 0, so that the result reports them alike.
    const background = await models.model(entry, side);
    const head = entry.manifest.head;
    const portraitModels = { background, mask: (n: number) => models.mask(entry, n), faces: models.facePass(entry, side) };
    const out = await stylisePortrait(portraitModels, photo, options.strength, signal);
    // A look that draws faces when it finds them (crop: face) is whole without one; a portrait
    // model (DCT-Net's) says so when it found none.
    const noFace = out.faces.length === 0 && head?.crop !== 'face';
    const portrait = { faces: out.faces.length, noFace, detectMs: round1(out.detectMs), headMs: round1(out.headMs), ...(job.includeFaces ? { boxes: out.faces } : {}) };
    return { frame: out.frame, tiles: out.tiles, portrait };
  }
  if (options.strength <= 0) return { frame: photo, tiles: 0 };
  const styled = await stylise(await models.model(entry, side), photo, options.strength, signal);
  return { frame: styled.frame, tiles: styled.stats.tiles };
}

export function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
