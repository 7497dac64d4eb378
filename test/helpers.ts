/** Test helpers: real images made on the spot with sharp; the checked-in photos and loopback helpers come from dev/. */
import { request } from 'node:http';
import { connect } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { fixture } from '../dev/fixtures.ts';
import { encodeFrames, probeVideo, videoFrames, withSound } from '../src/engine/clip/ffmpeg.ts';
import { createEngine, ToonError, type Engine, type EngineOptions, type ErrorCode, type Logger } from '../src/engine/index.ts';

export { FIXTURES, fixture, SCENES, scene } from '../dev/fixtures.ts';
export { freePort } from '../dev/net.ts';

export type Rgb = [number, number, number];

/** A solid-colour image, encoded. */
export function solid(width: number, height: number, colour: Rgb, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const [r, g, b] = colour;
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    [format]()
    .toBuffer();
}

/** Raw RGB pixels of any encoded image (no orientation or colour changes). */
export async function pixels(image: Uint8Array): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * A syntactically valid PNG whose header claims `width` x `height` but whose data is one tiny
 * row: a "decompression bomb" header, which must be refused before anything is allocated.
 */
export function pngHeaderClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1 + 3 * 4))), chunk('IEND', Buffer.alloc(0))]);
}

/** A promise with its resolve/reject exposed, to drive queue tests step by step. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending microtasks and immediate callbacks run. */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Whether any process of the process group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a studio upload on 127.0.0.1:`port` (headers and the first bytes of a photo the request
 * says is 1 MB) and sends nothing more; resolves with everything the server wrote once it closes
 * the connection.
 */
export function stalledUpload(port: number): Promise<string> {
  const boundary = 'x-stall-boundary';
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    `POST /api/cartoon HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG`,
  );
  let text = '';
  socket.on('data', (d: Buffer) => void (text += d.toString()));
  return new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
}

/** The status of a GET of `path` as written (no URL normalising, unlike fetch), on 127.0.0.1:`port`. */
export function rawStatus(port: number, path: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Awaits `promise` and checks that it rejects with a ToonError of `code`; returns that error. */
export async function failsWith(promise: Promise<unknown>, code: ErrorCode): Promise<ToonError> {
  const error = await promise.then(
    () => new Error(`expected ${code}, got a result`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToonError);
  expect((error as ToonError).code).toBe(code);
  return error as ToonError;
}

/** A horizontal grey ramp, black on the left to white on the right, as a PNG. */
export function greyRamp(width: number, height: number): Promise<Buffer> {
  const ramp = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) for (let x = 0; x < width; x += 1) ramp.fill(Math.round((x / (width - 1)) * 255), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return sharp(ramp, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A folder for a test file's scratch files: made before its tests run, removed after them. */
export function scratchFolder(prefix: string): { readonly path: string } {
  const folder = { path: '' };
  beforeAll(async () => {
    folder.path = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(() => rm(folder.path, { recursive: true, force: true }));
  return folder;
}

/** Raw RGB frames of `width` x `height` as a clip file's bytes (MP4 by default; crf: x264's quality; tone: a 440 Hz sound). */
export async function clipOf(
  frames: Buffer[],
  width: number,
  height: number,
  { fps = 15, format = 'mp4', crf, tone = false }: { fps?: number; format?: 'mp4' | 'gif'; crf?: number; tone?: boolean } = {},
): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-clip-in-'));
  try {
    const file = path.join(dir, `clip.${format}`);
    async function* each(): AsyncGenerator<Buffer> {
      yield* frames;
    }
    await encodeFrames(each(), { width, height }, fps, format, file, crf === undefined ? {} : { crf });
    if (!tone) return await readFile(file);
    await writeFile(path.join(dir, 'tone.wav'), sineWav(440, frames.length / fps));
    await withSound(file, path.join(dir, 'tone.wav'), path.join(dir, 'sound.mp4'));
    return await readFile(path.join(dir, 'sound.mp4'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One engine for a test file: made before its tests run and handed to `use`, closed after them. */
export function sharedEngine(options: EngineOptions | undefined, use: (engine: Engine) => void): void {
  let engine: Engine | undefined;
  beforeAll(async () => {
    engine = await createEngine(options);
    use(engine);
  });
  afterAll(() => engine?.close());
}

/** An animated GIF of a fixture turning `step` degrees a page, `pages` pages of `delayMs` each. */
export async function turningGif(name: Parameters<typeof fixture>[0], width: number, height: number, { pages = 3, step = 10, delayMs = 120 } = {}): Promise<Buffer> {
  const frames = await Promise.all(
    Array.from({ length: pages }, (_, i) =>
      sharp(fixture(name))
        .rotate(i * step, { background: '#fff' })
        .resize(width, height)
        .png()
        .toBuffer(),
    ),
  );
  return sharp(frames, { join: { animated: true } })
    .gif({ delay: frames.map(() => delayMs) })
    .toBuffer();
}

/** Whatever a test starts (a bot, a platform stand-in) is stopped after it, the last started first: `bot = stopping(await Bot.start(...))`. */
export function stopsAfterEach(): <T extends { stop(): unknown }>(thing: T) => T {
  const started: { stop(): unknown }[] = [];
  afterEach(async () => {
    for (const thing of started.splice(0).reverse()) await thing.stop();
  });
  return (thing) => {
    started.push(thing);
    return thing;
  };
}

/** The frames of an MP4, decoded at `width` x `height` (any size: ffmpeg scales them). */
export async function framesOf(video: Buffer, width = 64, height = 48): Promise<Buffer[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-clip-out-'));
  try {
    const file = path.join(dir, 'clip.mp4');
    await writeFile(file, video);
    const frames: Buffer[] = [];
    for await (const f of videoFrames(file, { width, height, square: false, fps: 15, maxFrames: 1000 })) frames.push(f.data);
    return frames;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A mono 16-bit 22.05 kHz WAV of a sine at `hz` lasting `seconds`. */
function sineWav(hz: number, seconds: number): Buffer {
  const rate = 22_050;
  const samples = Math.round(rate * seconds);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  return wav;
}

/** Whether the MP4 `video` has a sound track. */
export async function hasSound(video: Buffer): Promise<boolean> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-clip-probe-'));
  try {
    await writeFile(path.join(dir, 'clip.mp4'), video);
    return (await probeVideo(path.join(dir, 'clip.mp4'))).audio;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A logger that keeps its lines (`warn journal: ...`), to assert what was logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
