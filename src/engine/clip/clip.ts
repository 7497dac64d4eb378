/**
 * Clips: an animated GIF or WebP, or a short video (MP4, MOV, WebM), comes back as a cartoon clip.
 * The header is read before the job joins the line (size, length, frame rate: a clip too long is
 * refused before any work); in the line the clip is one job whose frames are its parts: decoded one
 * at a time (GIFs and WebPs by sharp, videos by ffmpeg), each drawn with the style's own pipeline
 * (faces included), kept steady from frame to frame (steady.ts), and encoded as they come; between
 * two frames the photos waiting in line go first (JobContext.turn).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ToonError } from '../errors.ts';
import type { RgbFrame } from '../image.ts';
import type { Progress } from '../types.ts';
import { encodeFrames, probeVideo, transcode, videoFrames, withSound, type ClipFormat, type FramePlan } from './ffmpeg.ts';
import { Steadier } from './steady.ts';

export type { ClipFormat } from './ffmpeg.ts';
export const CLIP_MIME: Record<ClipFormat, string> = { mp4: 'video/mp4', gif: 'image/gif' };

/** What a caller that can answer with a clip asks for (a bot that can send an animation back). */
export interface ClipRequest {
  /** @default mp4 for videos, gif for GIFs and WebPs */
  format?: ClipFormat;
  /** A centre square (Telegram's round video notes). */
  square?: boolean;
  /** Longest clip taken, seconds. @default CLIP_LIMITS.seconds */
  maxSeconds?: number;
  /** Keep a video's sound in an MP4 answer (a platform's video; animations and notes have none). */
  sound?: boolean;
}

/**
 * The clip limits. 480 px on the long side is what chat apps show a clip at; 15 frames a second
 * keeps motion smooth at half the work of 30; 15 s at that rate is 225 frames, ~15 s of work at
 * 480 px on a 2-core CPU (docs/BENCHMARKS.md, "Clips").
 */
export const CLIP_LIMITS = { side: 480, maxSide: 720, fps: 15, seconds: 15, maxSeconds: 60 } as const;

type Source = { kind: 'frames'; format: 'gif' | 'webp' } | { kind: 'video' };

/**
 * A clip's cost is its work in photos: its frames times their pixels over a photo's at the default
 * resolution (1024 x 768). A 3 s, 15 fps clip at 480 x 270 costs 8; a 15 s one, 38. It is the
 * clip's weight in the line and what it takes of a daily allowance.
 */
const PHOTO_PIXELS = 1024 * 768;

/** What the header check found, and how the frames will be cut. */
export interface ClipPlan extends FramePlan {
  source: Source;
  format: ClipFormat;
  /** Frames in the input (GIF/WebP), for sampling. */
  pages?: number;
  /** Frames the answer will have: a GIF's sampled pages, a video's length times the rate (about). */
  frames: number;
  /** Its work in photos (PHOTO_PIXELS), at least 1. */
  cost: number;
  /** The source's sound goes into the answer (an MP4 of a video with sound, when asked). */
  sound?: boolean;
}

/** Whether `bytes` are a clip: an animated GIF or WebP, or a video container. */
export async function sniffClip(bytes: Uint8Array): Promise<Source | undefined> {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 16));
  if (head.subarray(4, 8).toString('latin1') === 'ftyp' || head.readUInt32BE(0) === 0x1a45dfa3) return { kind: 'video' };
  const gif = head.subarray(0, 4).toString('latin1') === 'GIF8';
  const webp = head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP';
  if (!gif && !webp) return undefined;
  const pages =
    (
      await sharp(bytes, { limitInputPixels: false })
        .metadata()
        .catch(() => ({ pages: 1 }))
    ).pages ?? 1;
  return pages > 1 ? { kind: 'frames', format: gif ? 'gif' : 'webp' } : undefined;
}

/** Even sides (H.264 wants them) of a frame whose long side is `side`. */
function evenSize(width: number, height: number, side: number): { width: number; height: number } {
  const scale = side / Math.max(width, height);
  const even = (v: number) => Math.max(16, 2 * Math.round((v * scale) / 2));
  return { width: even(width), height: even(height) };
}

/**
 * Reads the clip's header and plans its frames.
 * @param side the long side asked for (clamped to CLIP_LIMITS.maxSide)
 * @throws ToonError IMAGE_TOO_LARGE (too long, too many pixels a frame), UNSUPPORTED_IMAGE, CORRUPT_IMAGE
 */
export async function planClip(bytes: Uint8Array, source: Source, request: ClipRequest, side: number, maxPixels: number): Promise<ClipPlan> {
  const maxSeconds = Math.min(request.maxSeconds ?? CLIP_LIMITS.seconds, CLIP_LIMITS.maxSeconds);
  let width: number;
  let height: number;
  let seconds: number;
  let fps: number = CLIP_LIMITS.fps;
  let pages: number | undefined;
  let audio = false;
  if (source.kind === 'frames') {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    width = meta.width ?? 0;
    // Without pages: -1 sharp reports one page's size (pageHeight only when all are read).
    height = meta.pageHeight ?? meta.height ?? 0;
    pages = meta.pages ?? 1;
    const delays = meta.delay ?? [];
    const total = delays.reduce((s, d) => s + (d > 0 ? d : 100), 0) || pages * 100;
    seconds = total / 1000;
    fps = Math.min(CLIP_LIMITS.fps, Math.max(1, pages / seconds));
  } else {
    const info = await withScratch(bytes, (file) => probeVideo(file));
    width = info.width;
    height = info.height;
    seconds = Number.isFinite(info.durationS) ? info.durationS : 0;
    if (Number.isFinite(info.fps) && info.fps > 0) fps = Math.min(CLIP_LIMITS.fps, info.fps);
    audio = info.audio;
  }
  if (width <= 0 || height <= 0) throw new ToonError('CORRUPT_IMAGE', { detail: { reason: 'no size in the clip header' } });
  if (width * height > maxPixels) throw new ToonError('IMAGE_TOO_LARGE', { detail: { width, height, maxPixels } });
  if (seconds > maxSeconds + 0.5) {
    throw new ToonError('IMAGE_TOO_LARGE', { message: `That clip is ${Math.round(seconds)} s long; the limit is ${maxSeconds} s.`, detail: { seconds: Math.round(seconds), maxSeconds } });
  }
  // Never drawn larger than the clip itself (at least 256 px): upscaling adds work, not detail.
  const long = Math.min(side, CLIP_LIMITS.maxSide, Math.max(256, width, height));
  const square = request.square === true;
  const size = square ? evenSize(1, 1, long) : evenSize(width, height, long);
  const format = request.format ?? (source.kind === 'video' ? 'mp4' : 'gif');
  const maxFrames = Math.max(1, Math.ceil(Math.max(seconds, 1 / fps) * fps));
  const frames = pages === undefined ? maxFrames : Math.min(maxFrames, pages);
  const cost = Math.max(1, Math.ceil((frames * size.width * size.height) / PHOTO_PIXELS));
  const sound = audio && format === 'mp4' && request.sound === true;
  return { source, format, ...size, square, fps: Math.round(fps * 100) / 100, maxFrames, frames, ...(pages !== undefined ? { pages } : {}), cost, ...(sound ? { sound } : {}) };
}

/** Writes `bytes` to a scratch file for ffmpeg (an MP4's index may be at its end: it needs a file), removed after. */
async function withScratch<T>(bytes: Uint8Array, work: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-clip-'));
  try {
    const file = path.join(dir, 'in');
    await writeFile(file, bytes);
    return await work(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The cartoon clip made to fit `maxBytes` (a platform's upload limit): compressed harder first,
 * then smaller frames (3/4 of the side a step), its length and motion kept. Runs in ffmpeg's process.
 * @returns undefined when even the smallest try is too large
 */
export async function shrinkClip(image: Buffer, format: ClipFormat, width: number, height: number, maxBytes: number): Promise<{ image: Buffer; width: number; height: number } | undefined> {
  return withScratch(image, async (file, dir) => {
    const long = Math.max(width, height);
    for (const [step, scale] of [1, 0.75, 0.5625, 0.42].entries()) {
      const size = evenSize(width, height, Math.round(long * scale));
      const out = path.join(dir, `fit${step}.${format}`);
      await transcode(file, out, format, size, step);
      const bytes = await readFile(out);
      if (bytes.length <= maxBytes) return { image: bytes, ...size };
    }
    return undefined;
  });
}

/** A GIF's or WebP's frames at the plan's size and rate (pages sampled evenly when there are more). */
async function* pageFrames(bytes: Uint8Array, plan: ClipPlan): AsyncGenerator<RgbFrame> {
  const pages = plan.pages ?? 1;
  const count = plan.frames;
  for (let k = 0; k < count; k += 1) {
    const page = Math.min(pages - 1, Math.floor((k * pages) / count));
    const data = await sharp(bytes, { page, pages: 1, limitInputPixels: false })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(plan.width, plan.height, { fit: plan.square ? 'cover' : 'fill', kernel: 'lanczos3' })
      .removeAlpha()
      .raw()
      .toBuffer();
    yield { data, width: plan.width, height: plan.height };
  }
}

export interface ClipOutput {
  image: Buffer;
  frames: number;
  fps: number;
  timings: { decode: number; inference: number; encode: number };
  tiles: number;
  faces: number;
}

/**
 * Draws every frame of the clip with `draw` (the style's pipeline for one frame) and encodes the
 * result. Runs on an inference thread; decoding and encoding run in ffmpeg's process. After each
 * frame it reports its progress to `between` and waits there while the photos in line pass: a
 * photo waits for one frame of a clip (a part), not for all of it; with nobody waiting the turn
 * is a message to the main thread and back (well under a millisecond).
 */
export async function runClip(
  bytes: Uint8Array,
  plan: ClipPlan,
  draw: (frame: RgbFrame) => Promise<{ frame: RgbFrame; tiles: number; faces: number }>,
  signal: AbortSignal,
  between?: (progress: Progress) => Promise<void>,
): Promise<ClipOutput> {
  return withScratch(bytes, async (file, dir) => {
    const timings = { decode: 0, inference: 0, encode: 0 };
    const steady = new Steadier();
    let frames = 0;
    let tiles = 0;
    let faces = 0;
    let paused = 0;
    const source = plan.source.kind === 'video' ? videoFrames(file, plan, signal) : pageFrames(bytes, plan);
    async function* drawn(): AsyncGenerator<Buffer> {
      let t = performance.now();
      for await (const frame of source) {
        timings.decode += performance.now() - t;
        signal.throwIfAborted();
        t = performance.now();
        const input = steady.input(frame);
        const out = await draw(input);
        const shown = steady.output(input, out.frame);
        timings.inference += performance.now() - t;
        frames += 1;
        tiles += out.tiles;
        faces = Math.max(faces, out.faces);
        yield shown.data;
        t = performance.now();
        if (between) {
          await between({ frame: frames, frames: Math.max(frames, plan.frames) });
          paused += performance.now() - t;
          t = performance.now();
        }
      }
    }
    const out = path.join(dir, `out.${plan.format}`);
    const started = performance.now();
    await encodeFrames(drawn(), plan, plan.fps, plan.format, out, { signal });
    if (frames === 0) throw new ToonError('CORRUPT_IMAGE', { message: 'That clip has no frames I can read.', detail: { reason: 'no frames' } });
    let answer = out;
    if (plan.sound) {
      answer = path.join(dir, 'sound.mp4');
      await withSound(out, file, answer, signal);
    }
    timings.encode = Math.max(0, performance.now() - started - timings.decode - timings.inference - paused);
    return { image: await readFile(answer), frames, fps: plan.fps, timings, tiles, faces };
  });
}
