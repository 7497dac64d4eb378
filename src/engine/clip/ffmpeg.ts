/**
 * Video in and out through an ffmpeg child process: its own process, so no decode or encode ever
 * runs on a JavaScript thread. The binary: TOONBOT_FFMPEG, else the one the optional npm package
 * @ffmpeg-installer/ffmpeg ships for this platform (a static build with libx264: no system package,
 * no install script), else `ffmpeg` on the PATH.
 *
 * Frames cross the pipe as raw 8-bit RGB at the clip's output size; ffmpeg scales, crops, applies
 * the phone's rotation and resamples the frame rate on the way in, and encodes on the way out.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ToonError } from '../errors.ts';
import type { RgbFrame } from '../image.ts';

/** What a video's header says. */
export interface VideoInfo {
  width: number;
  height: number;
  /** Seconds; NaN when the container does not say. */
  durationS: number;
  fps: number;
  audio: boolean;
}

let located: string | undefined;

/** The ffmpeg binary to run (whether it exists is found out when it is run: ENOENT). */
function ffmpegPath(): string {
  if (located !== undefined) return located;
  const fromEnv = process.env.TOONBOT_FFMPEG;
  if (fromEnv) return (located = fromEnv);
  try {
    const bundled = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    if (existsSync(bundled)) return (located = bundled);
  } catch {
    // Not installed for this platform: try the PATH.
  }
  return (located = 'ffmpeg');
}

/** Runs ffmpeg to its end; resolves with its stdout, rejects with the tail of its stderr. */
function run(args: string[], input?: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (error) => reject(spawnError(error)));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited ${code}: ${err.trim()}`))));
    if (input && child.stdin) {
      const stdin = child.stdin;
      stdin.on('error', () => undefined); // ffmpeg gone: its exit says why
      void (async () => {
        try {
          for await (const chunk of input) if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
        } finally {
          stdin.end();
        }
      })().catch((error: unknown) => {
        child.kill('SIGKILL');
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    }
  });
}

function spawnError(error: Error): Error {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? new ToonError('UNSUPPORTED_IMAGE', { message: 'Clips need ffmpeg, which this machine does not have.', detail: { reason: 'no ffmpeg' }, cause: error })
    : error;
}

/**
 * The header of the video in `file`: size (after the phone's rotation), duration, frame rate.
 * @throws ToonError UNSUPPORTED_IMAGE when ffmpeg finds no video stream
 */
export async function probeVideo(file: string): Promise<VideoInfo> {
  // ffmpeg without an output prints the streams and exits 1; that text is the probe.
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-i', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (error) => reject(spawnError(error)));
    child.on('close', () => resolve(err));
  });
  const video = /Stream #\S+.*?: Video: .*?(\d{2,5})x(\d{2,5})/.exec(text);
  if (!video) throw new ToonError('UNSUPPORTED_IMAGE', { message: 'That file has no video I can read.', detail: { reason: 'no video stream' } });
  let [width, height] = [Number(video[1]), Number(video[2])];
  const rotate = /rotate\s*:\s*(-?\d+)/.exec(text) ?? /rotation of (-?\d+(?:\.\d+)?) degrees/.exec(text);
  if (rotate && Math.abs(Number(rotate[1])) % 180 === 90) [width, height] = [height, width];
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(text);
  const durationS = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : Number.NaN;
  const rate = /(\d+(?:\.\d+)?) fps/.exec(text) ?? /(\d+(?:\.\d+)?) tbr/.exec(text);
  return { width, height, durationS, fps: rate ? Number(rate[1]) : Number.NaN, audio: /Stream #\S+.*?: Audio:/.test(text) };
}

/** How frames are cut from a video: the output size, an optional centre square, the frame rate, at most so many. */
export interface FramePlan {
  width: number;
  height: number;
  /** Crop the centre square before scaling (round video notes). */
  square: boolean;
  fps: number;
  maxFrames: number;
}

/** The scale (and crop) filter that makes frames of exactly plan.width x plan.height. */
function sizeFilter(plan: FramePlan): string {
  const crop = plan.square ? "crop='min(iw,ih)':'min(iw,ih)'," : '';
  return `${crop}scale=${plan.width}:${plan.height}:flags=lanczos,setsar=1`;
}

/** The video's frames, one at a time as ffmpeg produces them (it waits while the caller works). */
export async function* videoFrames(file: string, plan: FramePlan, signal?: AbortSignal): AsyncGenerator<RgbFrame> {
  const frameBytes = plan.width * plan.height * 3;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-i',
    file,
    '-an',
    '-vf',
    `fps=${plan.fps},${sizeFilter(plan)}`,
    '-frames:v',
    String(plan.maxFrames),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => reject(spawnError(error)));
    child.on('close', (code) => resolve(code));
  });
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= frameBytes) {
        yield { data: Buffer.from(pending.subarray(0, frameBytes)), width: plan.width, height: plan.height };
        pending = pending.subarray(frameBytes);
      }
    }
    const code = await closed;
    if (code !== 0) throw new ToonError('CORRUPT_IMAGE', { message: 'That video could not be read to its end.', detail: { reason: err.trim().slice(-300) } });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export type ClipFormat = 'mp4' | 'gif';

/** x264's quality for replies: its default, 23; a cartoon's flat areas cost few bits at it. */
const CRF = 23;

/**
 * Encodes frames of `width` x `height` at `fps` into an MP4 (H.264, yuv420p, no sound, the index
 * first so that it plays while it downloads) or a GIF (one palette for the whole clip, no dither:
 * dither patterns crawl from frame to frame). `file` is a scratch path ffmpeg writes to (an MP4's
 * index is written last, so it cannot go to a pipe).
 */
export async function encodeFrames(
  frames: AsyncIterable<Buffer>,
  size: { width: number; height: number },
  fps: number,
  format: ClipFormat,
  file: string,
  { signal, crf = CRF }: { signal?: AbortSignal; crf?: number } = {},
): Promise<void> {
  const input = ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${size.width}x${size.height}`, '-r', String(fps), '-i', 'pipe:0'];
  await run([...input, ...outputArgs(format, file, { crf, colours: GIF_COLOURS })], frames, signal);
}

/** A GIF's palette: 128 colours hold a cartoon's flat fills and lines; the whole clip shares it. */
const GIF_COLOURS = 128;

/** How a clip is written: MP4 at `crf`, or a GIF with one palette of `colours` (after `filter`, if any). */
function outputArgs(format: ClipFormat, file: string, { crf, colours, filter }: { crf: number; colours: number; filter?: string }): string[] {
  const pre = filter ? `${filter},` : '';
  return format === 'mp4'
    ? [...(filter ? ['-vf', filter] : []), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(crf), '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-an', '-f', 'mp4', '-y', file]
    : ['-filter_complex', `${pre}split[a][b];[a]palettegen=stats_mode=full:max_colors=${colours}[p];[b][p]paletteuse=dither=none`, '-loop', '0', '-f', 'gif', '-y', file];
}

/**
 * The video of `video` with the sound of `source` (AAC, 96 kb/s), cut to the shorter of the two:
 * the cartoon of a video keeps its sound. The picture is copied, not encoded again.
 */
export async function withSound(video: string, source: string, out: string, signal?: AbortSignal): Promise<void> {
  await run(
    ['-i', video, '-i', source, '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '96k', '-shortest', '-movflags', '+faststart', '-f', 'mp4', '-y', out],
    undefined,
    signal,
  );
}

/**
 * Re-encodes the clip in `file` to `out` at `width` x `height`, compressed harder by `step` (0, 1,
 * 2...): x264's CRF up by 5 then 2 a step, a GIF's palette halved then a quarter fewer a step.
 */
export async function transcode(file: string, out: string, format: ClipFormat, size: { width: number; height: number }, step: number): Promise<void> {
  const crf = Math.min(40, CRF + 5 + 2 * step);
  const colours = Math.max(16, Math.round((GIF_COLOURS / 2) * 0.75 ** step));
  await run(['-i', file, ...outputArgs(format, out, { crf, colours, filter: `scale=${size.width}:${size.height}:flags=lanczos,setsar=1` })]);
}
