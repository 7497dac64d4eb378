/**
 * Clips through the real engine and ffmpeg: a video or an animated GIF comes back as a cartoon
 * clip, steady where the shot is still, moving where it moves; too long a clip is refused before
 * any work, with its length in the error.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type Engine, type Progress } from '../../src/engine/index.ts';
import { errorText } from '../../src/i18n/index.ts';
import { panFrames } from '../../dev/pan.ts';
import { clipOf, failsWith, fixture, framesOf, hasSound, scene, sharedEngine, turningGif } from '../helpers.ts';

const SIDE = 256;
let engine: Engine;

sharedEngine(undefined, (e) => (engine = e));

/** Mean absolute change from one frame to the next, in grey levels. */
function frameChange(frames: Buffer[]): number {
  let sum = 0;
  let count = 0;
  for (let t = 1; t < frames.length; t += 1) {
    const [a, b] = [frames[t - 1] as Buffer, frames[t] as Buffer];
    for (let i = 0; i < a.length; i += 1) sum += Math.abs((a[i] as number) - (b[i] as number));
    count += a.length;
  }
  return sum / count;
}

/** The horizontal shift (px) that best maps frame `a` onto frame `b` (b[x] ≈ a[x + shift]). */
function shiftBetween(a: Buffer, b: Buffer, width: number, height: number, most: number): number {
  let best = 0;
  let bestError = Number.POSITIVE_INFINITY;
  for (let s = 0; s <= most; s += 1) {
    let error = 0;
    for (let y = 0; y < height; y += 2)
      for (let x = most; x < width - most; x += 2) for (let c = 0; c < 3; c += 1) error += Math.abs((b[(y * width + x) * 3 + c] as number) - (a[(y * width + x + s) * 3 + c] as number));
    if (error < bestError) [best, bestError] = [s, error];
  }
  return best;
}

describe('clips', () => {
  it('a still shot with sensor noise comes back steady: frame-to-frame change far below that of the input (0.3x asked, 0.03x held)', async () => {
    const base = await sharp(fixture('astronaut.png')).resize(SIDE, SIDE).removeAlpha().raw().toBuffer();
    // Deterministic noise of about ±8 levels, new in every frame, like a phone's sensor.
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 17) - 8;
    const frames = Array.from({ length: 16 }, () => Buffer.from(base.map((v) => Math.max(0, Math.min(255, v + noise())))));
    // Nearly lossless, as a phone's own recording is before a chat app compresses it: the noise survives.
    const video = await clipOf(frames, SIDE, SIDE, { crf: 4 });
    const result = await engine.submit({ image: video, clip: {} });
    expect([result.format, result.mime, result.width, result.height]).toEqual(['mp4', 'video/mp4', SIDE, SIDE]);
    expect(result.clip?.frames).toBe(16);
    const input = await framesOf(video, SIDE, SIDE);
    const output = await framesOf(result.image, SIDE, SIDE);
    expect(output).toHaveLength(16);
    const ratio = frameChange(output) / frameChange(input);
    console.log(`still shot: frame-to-frame change ${frameChange(input).toFixed(2)} in, ${frameChange(output).toFixed(2)} out (${ratio.toFixed(3)}x)`);
    // The issue's bound is 0.3x; drawing each frame on its own measures 0.09x here (the MP4's own
    // smoothing helps it), so the bound is set below that: the steadying must be doing its work.
    expect(ratio).toBeLessThanOrEqual(0.03);
    // And it is a drawing, not the photo: it differs from the input frames.
    expect(frameChange([input[8] as Buffer, output[8] as Buffer])).toBeGreaterThan(4);
  });

  it('a pan keeps its motion: each cartoon frame moves by the camera step', async () => {
    const [w, h, step] = [SIDE, 160, 6];
    const frames = await panFrames(scene('lawn'), w, h, { step, count: 12 });
    const result = await engine.submit({ image: await clipOf(frames, w, h), clip: {} });
    const output = await framesOf(result.image, w, h);
    expect(output.length).toBe(12);
    for (let t = 2; t < output.length; t += 3) expect(Math.abs(shiftBetween(output[t - 1] as Buffer, output[t] as Buffer, w, h, 12) - step), `frame ${t}`).toBeLessThanOrEqual(1);
  });

  it("a pan over a portrait: the face moves with the camera and its drawing (cel skin, eyes, strokes) changes no more than the background's", async () => {
    // Grace Hopper's head and shoulders (a face ~150 px wide), the camera moving 3 px a frame.
    const [w, h, step, count] = [384, 384, 3, 8];
    const frames = await panFrames(fixture('hopper.jpg'), w, h, { step, count, position: 'top' });
    const result = await engine.submit({ image: await clipOf(frames, w, h, { crf: 4 }), clip: {} });
    expect(result.clip).toMatchObject({ frames: count, faces: 1 });
    const output = await framesOf(result.image, w, h);
    expect(output).toHaveLength(count);
    // The change from one frame to the next once the camera's step is taken out, in a region.
    const moved = (x0: number, x1: number, y0: number, y1: number) => {
      let [sum, n] = [0, 0];
      for (let t = 1; t < count; t += 1) {
        const [a, b] = [output[t - 1] as Buffer, output[t] as Buffer];
        for (let y = y0; y < y1; y += 1)
          for (let x = x0; x < x1; x += 1) for (let c = 0; c < 3; c += 1) [sum, n] = [sum + Math.abs((b[(y * w + x) * 3 + c] as number) - (a[(y * w + x + step) * 3 + c] as number)), n + 1];
      }
      return sum / n;
    };
    const face = moved(130, 260, 110, 290);
    const background = moved(10, 90, 40, 300);
    console.log(`pan over a portrait: change after the camera's step ${face.toFixed(2)} in the face, ${background.toFixed(2)} beside it`);
    // A face found a little differently in each frame would wobble and pump: its crop, its skin
    // tone and its strokes would change where the background's drawing only moves.
    expect(face).toBeLessThan(background * 1.5 + 0.5);
  });

  it('an animated GIF comes back as an animated GIF; a video note as a square; a video keeps its sound when asked', async () => {
    const gif = await turningGif('coffee.png', 200, 150, { step: 15, delayMs: 150 });
    const cartoon = await engine.submit({ image: gif, clip: {} });
    expect([cartoon.format, cartoon.mime]).toEqual(['gif', 'image/gif']);
    expect((await sharp(cartoon.image).metadata()).pages).toBe(3);

    const wide = await sharp(scene('cups')).resize(320, 240, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const note = await engine.submit({ image: await clipOf([wide, wide, wide], 320, 240), clip: { square: true } });
    expect([note.format, note.width, note.height]).toEqual(['mp4', 320, 320]);

    // A video with sound keeps it when asked (a platform's video), and loses it otherwise (animations, notes).
    const talking = await clipOf(new Array<Buffer>(6).fill(wide), 320, 240, { tone: true });
    expect(await hasSound(talking)).toBe(true);
    const video = await engine.submit({ image: talking, clip: { sound: true } });
    expect([video.format, video.clip?.frames, await hasSound(video.image)]).toEqual(['mp4', 6, true]);
    const silent = await engine.submit({ image: talking, clip: {} });
    expect(await hasSound(silent.image)).toBe(false);
  });

  it('refuses a clip longer than the limit before any work, saying how long it is; without a clip request a video is no image', async () => {
    const tiny = Buffer.alloc(64 * 64 * 3, 128);
    const long = await clipOf(
      Array.from({ length: 20 }, () => tiny),
      64,
      64,
      { fps: 1 },
    );
    const error = await failsWith(engine.submit({ image: long, clip: {} }), 'IMAGE_TOO_LARGE');
    expect(error.detail).toMatchObject({ seconds: 20, maxSeconds: 15 });
    expect(errorText('en', error, { platform: 'telegram', styles: ['toon'], maxMegapixels: 40 })).toBe('That clip is 20 s long; I cartoonise clips of up to 15 s. Trim it and send it again.');
    await failsWith(engine.submit({ image: long }), 'UNSUPPORTED_IMAGE');
  });

  it('photos pass between the frames of a clip, which reports its progress as it goes and can be cancelled between them', async () => {
    const frame = await sharp(scene('cups')).resize(192, 144, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const video = await clipOf(
      Array.from({ length: 8 }, () => frame),
      192,
      144,
    );
    const order: string[] = [];
    const progress: Progress[] = [];
    let photo: Promise<number> | undefined;
    const clip = engine.submit(
      { image: video, clip: {} },
      {
        onProgress: (p) => {
          progress.push(p);
          // Sent while the clip is drawn: once its header is read it joins the line, and waits
          // there for the frame under way at most.
          photo ??= engine.submit({ image: fixture('coffee.png'), options: { resolution: 256 } }).then(() => order.push(`photo after frame ${progress.length}`));
        },
      },
    );
    const result = await clip;
    order.push('clip');
    await photo;
    expect(order).toHaveLength(2);
    expect(order[1]).toBe('clip');
    expect(Number(/frame (\d+)/.exec(order[0] ?? '')?.[1])).toBeLessThanOrEqual(3);
    expect(result.clip?.frames).toBe(8);
    expect(progress.map((p) => p.frame)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress.every((p) => p.frames === 8)).toBe(true);

    const cancel = new AbortController();
    const cancelled = engine.submit({ image: video, clip: {} }, { signal: cancel.signal, onProgress: (p) => p.frame === 2 && cancel.abort() });
    await failsWith(cancelled, 'CANCELLED');
    // The engine goes on serving.
    await expect(engine.submit({ image: fixture('coffee.png'), options: { resolution: 256 } })).resolves.toMatchObject({ width: 256 });
  });
});
