/**
 * The bot side of scale-out mode (RemoteEngine) against a real Redis server, in-process: what it
 * decides without a worker (header check, the line's bound, deadlines, cancellation), what it
 * does with one (the result, the image bytes as binary keys), and the protocol's error encoding.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, ToonError, type Progress } from '../../src/engine/index.ts';
import { createRemoteEngine, type RemoteEngine } from '../../src/scale/RemoteEngine.ts';
import { decodeError, encodeError } from '../../src/scale/protocol.ts';
import { startWorker, type RunningWorker } from '../../src/scale/worker.ts';
import { clipOf, fixture, pngHeaderClaiming } from '../helpers.ts';
import { startRedis, type RedisServer } from '../../dev/redis.ts';

let redis: RedisServer;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

/** How every submission ended, as the metrics see it. */
const outcomes: string[] = [];

async function remote(queue: { maxWaiting?: number; deadlineMs?: number; perRequester?: number } = {}): Promise<RemoteEngine> {
  const engine = await createRemoteEngine({
    redisUrl: redis.url,
    instance: `t${Math.random().toString(36).slice(2, 8)}`,
    engine: { logger: silentLogger, queue, onJob: (e) => outcomes.push(e.outcome) },
    refreshMs: 200,
  });
  await engine.warmup();
  return engine;
}

describe('scale-out: the bot side', () => {
  it('checks the header before anything reaches Redis', async () => {
    const engine = await remote();
    try {
      await expect(engine.submit({ image: Buffer.from('not an image'), requester: 'a' })).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
      await expect(engine.submit({ image: pngHeaderClaiming(20_000, 20_000), requester: 'a' })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
      await expect(engine.submit({ image: fixture('astronaut.png'), options: { strength: 3 }, requester: 'a' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      expect(await client.keys('toonbot:*')).toEqual([]);
      expect(await client.exists('bull:toonbot:wait')).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('with no worker: a job past its deadline is answered TIMEOUT and leaves the line; a cancelled one too', async () => {
    const engine = await remote({ deadlineMs: 1500 });
    try {
      const positions: number[] = [];
      const late = engine.submit({ image: fixture('astronaut.png'), requester: 'a' }, { onPosition: (p) => positions.push(p) });
      await expect(late).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(positions).toEqual([1]);
      const gone = new AbortController();
      const cancelled = engine.submit({ image: fixture('astronaut.png'), requester: 'b' }, { signal: gone.signal });
      await new Promise((r) => setTimeout(r, 300));
      expect(await client.llen('bull:toonbot:wait')).toBe(1);
      gone.abort();
      await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
      await new Promise((r) => setTimeout(r, 300));
      expect(await client.llen('bull:toonbot:wait')).toBe(0);
      expect((await client.keys('toonbot:img:*')).length).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('bounds the shared line and each user, as the embedded engine does', async () => {
    const engine = await remote({ maxWaiting: 2, perRequester: 1 });
    try {
      const held = engine.reserve('u1');
      outcomes.length = 0;
      expect(() => engine.reserve('u1')).toThrow(expect.objectContaining({ code: 'USER_BUSY' }));
      expect(outcomes).toEqual(['USER_BUSY']);
      const a = engine.submit({ image: fixture('astronaut.png'), requester: 'u2' });
      const b = engine.submit({ image: fixture('astronaut.png'), requester: 'u3' });
      a.catch(() => undefined);
      b.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      // Two waiting, one place reserved: with no worker alive the line holds maxWaiting + 1.
      expect(() => engine.reserve('u4')).toThrow(expect.objectContaining({ code: 'QUEUE_FULL' }));
      expect(outcomes.at(-1)).toBe('QUEUE_FULL');
      held.release();
      engine.cancelAll();
      await expect(a).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
      await expect(b).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
      // After the stop, a refusal is counted as in the embedded engine (one shell for both).
      await expect(engine.submit({ image: fixture('astronaut.png'), requester: 'u5' })).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
      expect(() => engine.reserve('u6')).toThrow(expect.objectContaining({ code: 'SHUTTING_DOWN' }));
      expect(outcomes.slice(-4)).toEqual(['SHUTTING_DOWN', 'SHUTTING_DOWN', 'SHUTTING_DOWN', 'SHUTTING_DOWN']);
    } finally {
      await engine.close();
    }
    // Both were taken out of Redis before close() returned.
    expect(await client.llen('bull:toonbot:wait')).toBe(0);
    expect(await client.keys('toonbot:img:*')).toEqual([]);
  });

  it('with a worker: the cartoon comes back, images travel as binary keys, and Redis is left clean', async () => {
    const worker: RunningWorker = await startWorker({ redisUrl: redis.url, engine: {}, log: silentLogger, name: 'inproc' });
    const engine = await remote();
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(engine.workers()).toBe(1);
      expect(engine.providers()).toEqual(['cpu']);
      const photo = fixture('astronaut.png');
      const received = async () => Number(/total_net_input_bytes:(\d+)/.exec(await client.info('stats'))?.[1]);
      const before = await received();
      const result = await engine.submit({ image: photo, options: { resolution: 384, format: 'webp' }, requester: 'u', includeFaces: false });
      const inBytes = (await received()) - before;
      expect([result.width, result.height, result.mime, result.model]).toEqual([384, 384, 'image/webp', 'toon']);
      expect(result.image.subarray(8, 12).toString()).toBe('WEBP');
      expect(result.timings.total).toBeGreaterThanOrEqual(result.timings.queued);
      // Redis received the photo and the cartoon as their own bytes, plus small JSON (a Buffer in
      // job data would be a JSON array of numbers, about five times larger).
      expect(inBytes).toBeGreaterThan(photo.length + result.image.length);
      expect(inBytes).toBeLessThan((photo.length + result.image.length) * 1.2 + 64_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(await client.keys('toonbot:img:*')).toEqual([]);
      expect(await client.keys('toonbot:answered:*')).toEqual([]);
      expect(await client.zcard('bull:toonbot:completed')).toBe(0);
    } finally {
      await engine.close();
      await worker.close();
    }
  });

  it('with a worker: a clip comes back as a clip, its frames counted on the way', async () => {
    const worker: RunningWorker = await startWorker({ redisUrl: redis.url, engine: {}, log: silentLogger, name: 'inproc-clip' });
    const engine = await remote();
    try {
      const frame = await sharp(fixture('coffee.png')).resize(160, 120, { fit: 'cover' }).removeAlpha().raw().toBuffer();
      const progress: Progress[] = [];
      const note = await engine.submit({ image: await clipOf([frame, frame, frame, frame], 160, 120), requester: 'u', clip: { square: true } }, { onProgress: (p) => progress.push(p) });
      expect([note.format, note.mime, note.width, note.height, note.clip?.frames]).toEqual(['mp4', 'video/mp4', 256, 256, 4]);
      expect(note.image.subarray(4, 8).toString('latin1')).toBe('ftyp');
      // BullMQ's progress events: the last one may come after the result, so the first ones are looked at.
      expect(progress.length).toBeGreaterThanOrEqual(1);
      // frames: the header's estimate (duration x rate), here 4 or 5.
      expect(progress[0]?.frame).toBe(1);
      expect(progress[0]?.frames).toBeGreaterThanOrEqual(4);
    } finally {
      await engine.close();
      await worker.close();
    }
  });

  it('with Redis gone: new photos are refused at once (UNAVAILABLE), and the engine says it is unavailable', async () => {
    const own = await startRedis();
    const engine = await createRemoteEngine({ redisUrl: own.url, engine: { logger: silentLogger }, refreshMs: 200 });
    try {
      await engine.warmup();
      expect(engine.available()).toBe(true);
      await own.stop();
      await waitUntil(() => !engine.available(), 10_000);
      // Not left waiting for the line's deadline (120 s): "send it again shortly", before any upload.
      const started = performance.now();
      await expect(engine.submit({ image: fixture('astronaut.png'), requester: 'a' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(() => engine.reserve('b')).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await engine.close();
    }
  });

  it('Redis restarted without its data: the jobs it lost are answered at once when it is back, and photos are taken again', { timeout: 60_000 }, async () => {
    const own = await startRedis();
    const engine = await createRemoteEngine({ redisUrl: own.url, engine: { logger: silentLogger }, refreshMs: 200 });
    try {
      await engine.warmup();
      // No worker: the two jobs wait in Redis.
      const lost = [engine.submit({ image: fixture('astronaut.png'), requester: 'a' }), engine.submit({ image: fixture('coffee.png'), requester: 'b' })];
      for (const p of lost) void p.catch(() => undefined);
      const probe = new Redis(own.url);
      await waitUntil(async () => (await probe.llen('bull:toonbot:wait')) === 2, 10_000);
      probe.disconnect();
      await own.stop();
      await waitUntil(() => !engine.available(), 10_000);
      const back = await startRedis(own.port);
      try {
        const returned = performance.now();
        // Bounded, so that a job never answered fails as 'still waiting' (and says which), not
        // as the test's own timeout.
        const outcomes = await Promise.all(
          lost.map((p) =>
            Promise.race([
              p.then(
                () => 'done',
                (e: ToonError) => e.code,
              ),
              new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 30 s'), 30_000).unref()),
            ]),
          ),
        );
        expect(outcomes).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
        expect(performance.now() - returned).toBeLessThan(15_000);
        await waitUntil(() => engine.available(), 10_000);
      } finally {
        await back.stop();
      }
    } finally {
      await engine.close();
    }
  });

  it("carries the engine's errors across, and anything else as INTERNAL", () => {
    const back = decodeError(encodeError(new ToonError('CORRUPT_IMAGE', { detail: { reason: 'truncated' } })));
    expect([back.code, back.detail]).toEqual(['CORRUPT_IMAGE', { reason: 'truncated' }]);
    expect(decodeError('job stalled more than allowable limit').code).toBe('INTERNAL');
    expect(decodeError(undefined).code).toBe('INTERNAL');
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('toonbot worker', () => {
  it('asked for a provider by name that cannot run here, exits 1 saying so, instead of serving on the CPU', async () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/toonbot.js');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEGRAM_|DISCORD_|TOONBOT_|LOG_LEVEL)/.test(k)));
    const outcome = await promisify(execFile)(process.execPath, [bin, 'worker', '--provider', 'cuda', '--name', 'no-gpu'], { env: { ...env, TOONBOT_REDIS_URL: redis.url }, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('worker asked for --provider cuda, but the models opened on cpu');
  }, 90_000);
});
