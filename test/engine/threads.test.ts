/**
 * The models run on inference threads: a large job leaves the main thread (where the bots'
 * heartbeats, polling, button presses and the health routes live) free, and a thread that dies
 * mid-job answers that job with an error and is replaced for the next one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, silentLogger, type Engine } from '../../src/engine/expert.ts';
import { healthRoutes } from '../../src/observe/server.ts';
import { Metrics } from '../../src/observe/metrics.ts';
import { deferred, failsWith, fixture, pixels } from '../helpers.ts';

let photo: Buffer;
beforeAll(async () => {
  // A phone-sized photo, so that decoding is real work too.
  photo = await sharp(fixture('astronaut.png')).resize(2048, 2048).jpeg({ quality: 92 }).toBuffer();
});

describe('inference threads', () => {
  let engine: Engine;
  /** Each finished job's log fields. */
  const finished: Record<string, unknown>[] = [];
  beforeAll(async () => {
    engine = await createEngine({ logger: { ...silentLogger, info: (message, fields) => void (message === 'job done' && fields && finished.push(fields)) } });
    await engine.warmup();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('a 2048 px job leaves the main thread free: event-loop delay stays low and /healthz answers at once', { timeout: 60_000 }, async () => {
    const app = Fastify({ logger: false });
    healthRoutes(app, { metrics: new Metrics(), readiness: () => ({ state: 'ready', bots: [], providers: engine.providers() }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const delay = monitorEventLoopDelay({ resolution: 10 });
    try {
      // Once before measuring: the thread's first 2048 px frame plans its memory.
      await engine.submit({ image: photo, options: { resolution: 2048 } });
      delay.enable();
      let done = false;
      const job = engine.submit({ image: photo, options: { resolution: 2048, style: 'toon' } }).finally(() => {
        done = true;
      });
      const probes: number[] = [];
      while (!done) {
        const t = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(res.status).toBe(200);
        await res.text();
        probes.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
      const result = await job;
      delay.disable();
      expect(result.width).toBe(2048);
      expect(result.portrait?.faces).toBe(1);
      // The job took seconds; the loop was never held for more than a blink (before the threads:
      // stalls of 1.4 s at a time).
      expect(probes.length).toBeGreaterThan(10);
      expect(Math.max(...probes)).toBeLessThan(100);
      expect(delay.percentile(99) / 1e6).toBeLessThan(50);
      expect(delay.max / 1e6).toBeLessThan(150);
    } finally {
      delay.disable();
      await app.close();
    }
  });

  it('returns the cartoon as it was made: the same pixels as before, whatever thread ran it', async () => {
    const a = await pixels((await engine.submit({ image: photo, options: { resolution: 256 } })).image);
    const b = await pixels((await engine.submit({ image: photo, options: { resolution: 256 } })).image);
    expect(Buffer.compare(a.data, b.data)).toBe(0);
    expect([a.width, a.height]).toEqual([256, 256]);
  });

  it('overlaps what surrounds the graph: the job next in line is decoded while the one before it draws, and starts while that one encodes; each gets its own cartoon', async () => {
    const events: string[] = [];
    finished.length = 0;
    const first = engine.submit({ image: photo, options: { resolution: 1024, format: 'png' }, requester: 'a' }).then((r) => {
      events.push('first answered');
      return r;
    });
    const second = engine.submit(
      { image: await sharp(fixture('coffee.png')).jpeg().toBuffer(), options: { resolution: 512, format: 'png' }, requester: 'b' },
      // Started: the first is drawn and still encoding (it finishes beside this one).
      { onPosition: (position) => events.push(`second at ${position}${position === 0 ? `, ${engine.stats().finishing} finishing` : ''}`) },
    );
    const [a, b] = await Promise.all([first, second]);
    expect(events).toEqual(['second at 1', 'second at 0, 1 finishing', 'first answered']);
    expect(engine.stats().finishing).toBe(0);
    // The first started at once (nothing to decode ahead); the second was decoded while it waited.
    expect(finished.map((f) => [f.width, f.decodedAhead ?? false])).toEqual([
      [1024, false],
      [512, true],
    ]);
    expect([a.width, b.width]).toEqual([1024, 512]);
    // Its decode happened while it waited; its stages still add up to its total.
    const t = b.timings;
    expect(t.decode).toBeGreaterThan(0.5);
    expect(Math.abs(t.queued + t.decode + t.inference + t.encode - t.total)).toBeLessThanOrEqual(0.3);
    expect(a.portrait?.faces).toBe(1);
    expect(b.portrait?.faces).toBe(0);
  });

  it('a photo decoded ahead that turns out corrupt fails its own job only, and one that leaves the line before its turn is dropped', async () => {
    const truncated = photo.subarray(0, photo.length >> 1);
    const cancel = new AbortController();
    const started = deferred();
    const first = engine.submit({ image: photo, options: { resolution: 1024 }, requester: 'a' }, { onPosition: (p) => p === 0 && started.resolve() });
    await started.promise;
    // Next in line (its photo decoding ahead), then gone; the broken one takes its place.
    const leaving = engine.submit({ image: photo, options: { resolution: 512 }, requester: 'c' }, { signal: cancel.signal, onPosition: (p) => p === 1 && cancel.abort() });
    await failsWith(leaving, 'CANCELLED');
    const broken = engine.submit({ image: truncated, options: { resolution: 512 }, requester: 'b' });
    await failsWith(broken, 'CORRUPT_IMAGE');
    expect((await first).width).toBe(1024);
    // The thread goes on serving.
    expect((await engine.submit({ image: photo, options: { resolution: 256 } })).width).toBe(256);
  });
});

describe('an inference thread that dies', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-thread-'));
  });
  afterAll(async () => {
    delete process.env.TOONBOT_TEST_CRASH_MARK;
    await rm(dir, { recursive: true, force: true });
  });

  it('answers its job with an error, and the next job runs on a new thread', { timeout: 60_000 }, async () => {
    process.env.TOONBOT_TEST_CRASH_MARK = path.join(dir, 'crashed');
    const errors: string[] = [];
    const engine = await createEngine({
      inferenceScript: new URL('./crashingThread.ts', import.meta.url),
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => void errors.push(m) },
    });
    try {
      const failure = await engine.submit({ image: photo, options: { resolution: 1024 } }).then(
        () => null,
        (e: unknown) => e,
      );
      // An uncaught exception ends a thread with exit code 1.
      expect(failure).toMatchObject({ code: 'INTERNAL', detail: { reason: 'inference thread stopped', exitCode: 1 } });
      expect(errors).toContain('inference thread stopped with jobs in hand');
      const next = await engine.submit({ image: photo, options: { resolution: 512 } });
      expect([next.width, next.height]).toEqual([512, 512]);
      expect(engine.stats()).toMatchObject({ running: 0, waiting: 0, done: 1, failed: 1 });
    } finally {
      await engine.close();
    }
  });
});
