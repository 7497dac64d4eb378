import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  forSide,
  DEFAULT_ENGINE_CONFIG,
  decodeImage,
  DEFAULT_MODELS_DIR,
  loadManifests,
  ModelSession,
  silentLogger,
  ToonError,
  type Engine,
  type Logger,
} from '../../src/engine/expert.ts';
import { failsWith, fixture, pixels, pngHeaderClaiming, solid, sharedEngine } from '../helpers.ts';

let engine: Engine;
sharedEngine(undefined, (e) => (engine = e));

describe('Engine output', () => {
  it.each([
    ['chelsea.png', 512, 512, 341],
    ['chelsea.png', 256, 256, 170],
    ['coffee.png', 777, 777, 518],
  ] as const)('%s at %i px is exactly %ix%i', async (name, resolution, width, height) => {
    const result = await engine.submit({ image: fixture(name), options: { resolution } });
    expect([result.width, result.height]).toEqual([width, height]);
    const meta = await sharp(result.image).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([width, height, 'png']);
  });

  it('enlarges a photo at most 4 times (never below the smallest resolution): a tiny file cannot buy the largest job', async () => {
    const tiny = await solid(100, 50, [200, 120, 10]);
    const result = await engine.submit({ image: tiny, options: { resolution: 2048 } });
    expect([result.width, result.height]).toEqual([400, 200]);
    expect(result.options.resolution).toBe(2048);
    const dot = await solid(1, 1, [0, 0, 0]);
    const smallest = await engine.submit({ image: dot, options: { resolution: 2048 } });
    expect([smallest.width, smallest.height]).toEqual([256, 256]);
  });

  it('keeps a portrait photo portrait and upscales small photos to the requested long side', async () => {
    const tall = await solid(30, 90, [10, 120, 200]);
    const result = await engine.submit({ image: tall, options: { resolution: 300 } });
    expect([result.width, result.height]).toEqual([100, 300]);
  });

  it.each([
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
  ] as const)('encodes %s', async (format, mime) => {
    const result = await engine.submit({ image: fixture('chelsea.png'), options: { format, resolution: 256 } });
    expect(result.mime).toBe(mime);
    expect(result.format).toBe(format);
    expect((await sharp(result.image).metadata()).format).toBe(format);
  });

  it('returns the model id, the options parsed at the boundary and every timing', async () => {
    const positions: number[] = [];
    const result = await engine.submit({ image: fixture('chelsea.png'), options: engine.parseOptions({ resolution: '256', strength: '0.5' }) }, { onPosition: (p) => positions.push(p) });
    expect(result.model).toBe('toon');
    expect(result.options).toEqual({ style: 'toon', strength: 0.5, resolution: 256, format: 'png' });
    expect(result.tiles).toBe(1);
    const { queued, decode, inference, encode, total } = result.timings;
    for (const t of [queued, decode, inference, encode, total]) expect(t).toBeGreaterThanOrEqual(0);
    expect(inference).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(decode + inference + encode - 0.5);
    expect(positions).toEqual([0]);
  });

  it('applies EXIF orientation before sizing', async () => {
    const stored = await sharp(await solid(400, 200, [200, 50, 50]))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const result = await engine.submit({ image: stored, options: { resolution: 256 } });
    expect([result.width, result.height]).toEqual([128, 256]);
  });
});

describe('Engine strength', () => {
  // A square photo without a face: the result is the whole-frame graph's alone (the face pass is
  // judged in portrait.test.ts and likeness.test.ts).
  let image: Buffer;
  beforeAll(async () => {
    image = await sharp(fixture('coffee.png')).resize(400, 400, { fit: 'cover' }).png().toBuffer();
  });
  const limits = { maxPixels: 1e8, maxBytes: 1e8 };

  it('at 0 returns the photo itself', async () => {
    const result = await engine.submit({ image, options: { strength: 0, resolution: 256 } });
    const photo = await decodeImage(image, 256, 256, limits);
    expect((await pixels(result.image)).data.equals(photo.data)).toBe(true);
    expect(result.tiles).toBe(0);
  });

  it('is an input of the built-in graph: the result is the graph run at that strength, not a mix with the photo', async () => {
    const [entry] = (await loadManifests(DEFAULT_MODELS_DIR)).filter((m) => m.manifest.id === 'toon');
    const session = await ModelSession.open(forSide(entry!, 256), DEFAULT_ENGINE_CONFIG.runtime, silentLogger);
    const photo = await decodeImage(image, 256, 256, limits);
    // The model's own output, computed here without the engine's pipeline: the frame's 8-bit RGB
    // pixels in, 8-bit pixels out.
    const worst = async (strength: number): Promise<number> => {
      const own = await session.run(new Uint8Array(photo.data), [1, 256, 256, 3], strength);
      const out = (await pixels((await engine.submit({ image, options: { strength, resolution: 256 } })).image)).data;
      let w = 0;
      for (let i = 0; i < out.length; i += 1) w = Math.max(w, Math.abs((out[i] as number) - (own[i] as number)));
      return w;
    };
    try {
      expect(await worst(1)).toBe(0);
      expect(await worst(0.4)).toBe(0);
    } finally {
      await session.dispose();
    }
    const weak = (await pixels((await engine.submit({ image, options: { strength: 0.4, resolution: 256 } })).image)).data;
    const full = (await pixels((await engine.submit({ image, options: { strength: 1, resolution: 256 } })).image)).data;
    expect(weak.equals(full)).toBe(false);
    expect(full.equals(photo.data)).toBe(false);
  });
});

describe('Engine errors', () => {
  it('refuses bad options before queueing', async () => {
    const before = engine.stats();
    const error = await failsWith(engine.submit({ image: fixture('chelsea.png'), options: { strength: 2 } }), 'INVALID_OPTION');
    expect(error.message).toContain('strength');
    await failsWith(engine.submit({ image: fixture('chelsea.png'), options: { style: 'nope' } }), 'INVALID_OPTION');
    expect(engine.stats()).toEqual(before);
  });

  it('refuses non-images, empty files and bombs with their codes', async () => {
    await failsWith(engine.submit({ image: Buffer.from('%PDF-1.4 not a photo') }), 'UNSUPPORTED_IMAGE');
    await failsWith(engine.submit({ image: new Uint8Array(0) }), 'CORRUPT_IMAGE');
    await failsWith(engine.submit({ image: pngHeaderClaiming(20_000, 20_000) }), 'IMAGE_TOO_LARGE');
  });

  it('fails a truncated photo with CORRUPT_IMAGE, and keeps serving afterwards', async () => {
    const jpeg = await sharp(fixture('coffee.png')).jpeg().toBuffer();
    await failsWith(engine.submit({ image: jpeg.subarray(0, jpeg.length >> 1) }), 'CORRUPT_IMAGE');
    const ok = await engine.submit({ image: jpeg, options: { resolution: 256 } });
    expect(ok.width).toBe(256);
  });

  it('cancels a job waiting in line when its signal aborts', async () => {
    const controller = new AbortController();
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const first = engine.submit({ image: fixture('astronaut.png'), requester: 'a', options: { resolution: 1024 } }, { onPosition: (p) => p === 0 && started() });
    await firstStarted;
    const positions: number[] = [];
    const second = engine.submit(
      { image: fixture('chelsea.png'), requester: 'b', options: { resolution: 256 } },
      {
        signal: controller.signal,
        onPosition: (p) => {
          positions.push(p);
          if (p === 1) controller.abort();
        },
      },
    );
    await failsWith(second, 'CANCELLED');
    await expect(first).resolves.toMatchObject({ width: 1024 });
    expect(positions).toEqual([1]);
  });
});

describe('Models', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-models-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a model whose file does not match its checksum, with MODEL_UNAVAILABLE', async () => {
    const manifest = JSON.parse(await readFile(path.join(DEFAULT_MODELS_DIR, 'toon.json'), 'utf8'));
    // One graph for every size (no size variants), so that the altered file is the one run.
    await writeFile(path.join(dir, 'toon.json'), JSON.stringify({ ...manifest, id: 'altered', side: undefined, variants: undefined }));
    const bytes = await readFile(path.join(DEFAULT_MODELS_DIR, manifest.file));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(path.join(dir, manifest.file), bytes);
    const errors: unknown[] = [];
    const logger: Logger = { ...silentLogger, error: (_m, f) => errors.push(f) };
    const altered = await createEngine({ modelsDir: dir, logger, defaultStyle: 'altered' });
    try {
      const error = await failsWith(altered.submit({ image: fixture('chelsea.png'), options: { style: 'altered', resolution: 256 } }), 'MODEL_UNAVAILABLE');
      expect(error.message).toBe('That style is not available right now.');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ model: 'altered', reason: 'checksum mismatch' });
    } finally {
      await altered.close();
    }
  });

  it('falls back to cpu, with one log line, when the configured provider is not installed', async () => {
    const manifest = JSON.parse(await readFile(path.join(DEFAULT_MODELS_DIR, 'toon.json'), 'utf8'));
    await copyFile(path.join(DEFAULT_MODELS_DIR, manifest.file), path.join(dir, manifest.file));
    // One plain graph (no size variants, no face pass): the one model whose fallback is logged.
    await writeFile(path.join(dir, 'toon.json'), JSON.stringify({ ...manifest, side: undefined, variants: undefined, pipeline: 'full-frame', head: undefined, aliases: undefined }));
    const warnings: [string, unknown][] = [];
    const logger: Logger = { ...silentLogger, warn: (m, f) => warnings.push([m, f]) };
    const cuda = await createEngine({ modelsDir: dir, runtime: { provider: 'cuda' }, logger });
    try {
      const result = await cuda.submit({ image: fixture('chelsea.png'), options: { resolution: 256 } });
      expect(result.width).toBe(256);
      await cuda.submit({ image: fixture('chelsea.png'), options: { resolution: 256 } });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.[0]).toBe('execution provider unavailable, falling back to cpu');
      expect(warnings[0]?.[1]).toMatchObject({ model: 'toon', provider: 'cuda' });
    } finally {
      await cuda.close();
    }
  });

  it('uses the configured default style for requests that name none, and refuses to start without it', async () => {
    const manga = await createEngine({ defaultStyle: 'manga' });
    try {
      expect(manga.defaultStyle).toBe('manga');
      const result = await manga.submit({ image: fixture('chelsea.png'), options: { resolution: 256 } });
      expect(result.model).toBe('manga');
      expect(result.portrait).toBeDefined();
      expect((await manga.submit({ image: fixture('chelsea.png'), options: { resolution: 256, style: 'toon' } })).model).toBe('toon');
    } finally {
      await manga.close();
    }
    // An old name configured as the default keeps working: it is its style's alias.
    const alias = await createEngine({ defaultStyle: 'toon-portrait' });
    try {
      expect(alias.defaultStyle).toBe('toon');
    } finally {
      await alias.close();
    }
    await expect(createEngine({ defaultStyle: 'anime' })).rejects.toThrow(/default style "anime" is not installed/);
  });

  it('opens the face detector on the configured provider too, falling back like the style models', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = { ...silentLogger, warn: (_m, f) => warnings.push(f) };
    const cuda = await createEngine({ runtime: { provider: 'cuda' }, logger });
    try {
      const result = await cuda.submit({ image: fixture('astronaut.png'), options: { resolution: 256 } });
      expect(result.portrait?.faces).toBe(1);
      const models = warnings.map((w) => (w as { model: string }).model);
      expect(models).toEqual(expect.arrayContaining(['blazeface-front', 'blazeface-back-any-size', 'toon', 'toon:head']));
    } finally {
      await cuda.close();
    }
  });

  it('lists only the styles on offer', () => {
    // The four built-in looks, by id, each face-aware; the face graphs are not styles of their own,
    // and the old toon-portrait is an alias of toon.
    const look = (id: string, name: string) => ({ id, name, description: expect.any(String), descriptions: { zh: expect.any(String) }, license: 'Apache-2.0', portrait: true });
    expect(engine.styles()).toEqual([look('comic', 'Comic'), look('manga', 'Manga'), look('sketch', 'Sketch'), { ...look('toon', 'Toon'), aliases: ['toon-portrait'] }]);
  });
});

describe('Engine lifecycle', () => {
  it('warms up, then on close finishes accepted jobs and refuses new ones', async () => {
    const own = await createEngine();
    await own.warmup();
    const accepted = own.submit({ image: fixture('chelsea.png'), options: { resolution: 256 } });
    await own.close();
    await expect(accepted).resolves.toMatchObject({ width: 256 });
    await failsWith(own.submit({ image: fixture('chelsea.png') }), 'SHUTTING_DOWN');
    // One warm-up frame per listed style, then the accepted job.
    expect(own.stats()).toMatchObject({ done: own.styles().length + 1, waiting: 0, running: 0 });
  });
});

describe('Engine at the boundary: options and admission', () => {
  it('parses user-typed options against the styles on offer, with the defaults a caller gives', () => {
    expect(engine.parseOptions({ strength: '0.4', resolution: '512', format: 'jpg' })).toEqual({ style: 'toon', strength: 0.4, resolution: 512, format: 'jpeg' });
    expect(engine.parseOptions({ strength: '0.4' }, { resolution: 2048, style: 'toon-portrait' })).toEqual({ style: 'toon-portrait', strength: 0.4, resolution: 2048, format: 'png' });
    expect(() => engine.parseOptions({ style: 'toon:head' })).toThrow(ToonError);
    expect(() => engine.parseOptions({ resolution: 'big' })).toThrow(/Invalid resolution/);
  });

  it('admits what the line can finish in time, and refuses the rest before anything is downloaded', async () => {
    const own = await createEngine();
    try {
      // No job has run yet: each one is reckoned at 5 s.
      expect(() => own.admit(1, 60_000)).not.toThrow();
      const refusal = (() => {
        try {
          own.admit(4, 15_000);
        } catch (error) {
          return error as ToonError;
        }
        return null;
      })();
      expect(refusal?.code).toBe('DEADLINE_TOO_SHORT');
      expect(refusal?.detail).toMatchObject({ estimateMs: 20_000, withinMs: 15_000 });
      await own.submit({ image: fixture('chelsea.png'), options: { resolution: 256 } });
      // Now the line's own recent times count: a 256 px job takes well under 5 s.
      expect(() => own.admit(4, 15_000)).not.toThrow();
    } finally {
      await own.close();
    }
    expect(() => own.admit(1, 60_000)).toThrow(expect.objectContaining({ code: 'SHUTTING_DOWN' }));
  });

  it('reckons the line with processing times shared among its runners, as the scale-out engine does', async () => {
    const two = await createEngine({ queue: { concurrency: 2 } });
    try {
      // Two runners: four jobs of 5 s take 10 s.
      expect(() => two.admit(4, 15_000)).not.toThrow();
      expect(() => two.admit(8, 15_000)).toThrow(expect.objectContaining({ code: 'DEADLINE_TOO_SHORT', detail: expect.objectContaining({ estimateMs: 20_000, runners: 2 }) }));
    } finally {
      await two.close();
    }
  });
});
