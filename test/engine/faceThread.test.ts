/**
 * The face pass in its own thread (threads/FaceWorker.ts) draws what the face pass in line draws,
 * so that running it beside the whole frame's graph changes the time, not the picture.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, decodeImage, DEFAULT_ENGINE_CONFIG, DEFAULT_MODELS_DIR, loadManifests, silentLogger, ToonError, type ModelEntry, type RgbFrame } from '../../src/engine/expert.ts';
import { ModelCache } from '../../src/engine/ModelCache.ts';
import { FaceWorker } from '../../src/engine/threads/FaceWorker.ts';
import { pixels } from '../helpers.ts';

/** Grace Hopper's portrait (public domain, dev/fixtures/README.md). */
const HOPPER = readFileSync(new URL('../../dev/fixtures/hopper.jpg', import.meta.url));

const limits = { maxPixels: 1e9, maxBytes: 1e9 };
let toon: ModelEntry;
let photo: RgbFrame;
const threaded = new ModelCache({ ...DEFAULT_ENGINE_CONFIG.runtime, provider: 'cpu', faceThread: true }, silentLogger);
const inline = new ModelCache({ ...DEFAULT_ENGINE_CONFIG.runtime, provider: 'cpu', faceThread: false }, silentLogger);

beforeAll(async () => {
  const entry = (await loadManifests(DEFAULT_MODELS_DIR)).find((m) => m.manifest.id === 'toon');
  if (!entry) throw new Error('no toon manifest');
  toon = entry;
  // Hopper's portrait at 768x1024 (its own 3:4).
  photo = await decodeImage(HOPPER, 768, 1024, limits);
});
afterAll(async () => {
  await threaded.close();
  await inline.close();
});

function meanDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

describe('the face thread', () => {
  it('finds and draws the faces the face pass in line does', async () => {
    const [a, b] = [await threaded.facePass(toon, 1024)(photo, 0.7), await inline.facePass(toon, 1024)(photo, 0.7)];
    expect(b.faces.length).toBeGreaterThan(0);
    expect(a.faces).toHaveLength(b.faces.length);
    for (const [i, face] of a.faces.entries()) {
      const other = b.faces[i];
      if (!other?.head || !face.head) throw new Error('a face was found but not drawn');
      expect(face.size).toBe(other.size);
      expect(Math.abs(face.box.x - other.box.x)).toBeLessThan(0.5);
      expect(Math.abs(face.box.width - other.box.width)).toBeLessThan(0.5);
      expect([face.head.width, face.head.height]).toEqual([face.size, face.size]);
      expect(Buffer.isBuffer(face.head.data)).toBe(true);
      // The thread runs its graphs on one onnxruntime thread: sums may round differently.
      expect(meanDifference(face.head.data, other.head.data)).toBeLessThan(0.5);
    }
    // Without a strength it only finds them.
    const found = await threaded.facePass(toon, 1024)(photo, undefined);
    expect(found.faces.map((f) => f.box)).toEqual(a.faces.map((f) => f.box));
    expect(found.faces.every((f) => f.head === undefined)).toBe(true);
  });

  it('refuses a cancelled request and lives on after one that fails', async () => {
    const pass = threaded.facePass(toon, 1024);
    const controller = new AbortController();
    controller.abort(new ToonError('CANCELLED'));
    await expect(pass(photo, 0.7, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    // A frame whose pixels do not match its size fails in the thread, and comes back as an error.
    await expect(pass({ data: Buffer.alloc(30), width: 640, height: 480 }, 0.7)).rejects.toBeInstanceOf(ToonError);
    const after = await pass(photo, 0.7);
    expect(after.faces.length).toBeGreaterThan(0);
  });

  it('answers with an error when the thread dies mid-request, and starts a new one for the next', async () => {
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (message: string) => void errors.push(message) };
    const worker = new FaceWorker({ ...DEFAULT_ENGINE_CONFIG.runtime, provider: 'cpu' }, logger, new URL('./crashingFaceThread.ts', import.meta.url));
    try {
      const dying = worker.draw({ data: Buffer.alloc(13 * 13 * 3, 128), width: 13, height: 13 }, toon, 0.7);
      await expect(dying).rejects.toMatchObject({ code: 'INTERNAL', detail: { reason: 'face thread stopped' } });
      expect(errors).toContain('face thread failed');
      const after = await worker.draw(photo, toon, 0.7);
      expect(after.faces.length).toBeGreaterThan(0);
      expect(after.faces[0]?.head?.width).toBe(after.faces[0]?.size);
    } finally {
      await worker.close();
    }
  });

  it('answers a job cancelled while its faces are drawn at once, and tells the thread to stop', async () => {
    const cancels: unknown[] = [];
    const logger = { ...silentLogger, info: (message: string, fields?: Record<string, unknown>) => void (message === 'cancel received' && cancels.push(fields?.id)) };
    const worker = new FaceWorker({ ...DEFAULT_ENGINE_CONFIG.runtime, provider: 'cpu' }, logger, new URL('./stuckFaceThread.ts', import.meta.url));
    try {
      const controller = new AbortController();
      const drawing = worker.draw(photo, toon, 0.7, controller.signal);
      controller.abort(new ToonError('TIMEOUT'));
      // The thread never answers: only the abort can end this request.
      await expect(drawing).rejects.toMatchObject({ code: 'TIMEOUT' });
      await expect.poll(() => cancels.length, { timeout: 10_000 }).toBe(1);
    } finally {
      await worker.close();
    }
  });

  it('gives the engine the same cartoon as the face pass in line', async () => {
    const engines = [true, false].map((faceThread) => createEngine({ runtime: { ...DEFAULT_ENGINE_CONFIG.runtime, provider: 'cpu', faceThread }, logger: silentLogger }));
    try {
      const request = { image: HOPPER, requester: 't', options: { style: 'toon', resolution: 512, format: 'png' as const } };
      const [a, b] = await Promise.all(engines.map(async (engine) => (await engine).submit(request)));
      if (!a || !b) throw new Error('no result');
      expect(a.portrait?.faces).toBeGreaterThan(0);
      expect(a.portrait?.faces).toBe(b.portrait?.faces);
      const [pa, pb] = [await pixels(a.image), await pixels(b.image)];
      expect([pa.width, pa.height]).toEqual([pb.width, pb.height]);
      expect(meanDifference(pa.data, pb.data)).toBeLessThan(0.5);
    } finally {
      for (const engine of engines) await (await engine).close();
    }
  });
});
