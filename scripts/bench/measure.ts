/**
 * The benchmark's child side: one measurement per process (so that its peak RSS is its own),
 * returned as a typed row (rows.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { panFrames } from '../../dev/pan.ts';
import { encodeFrames } from '../../src/engine/clip/ffmpeg.ts';
import * as ort from 'onnxruntime-node';
import {
  createEngine,
  decodeImage,
  DEFAULT_ENGINE_CONFIG,
  DEFAULT_MODELS_DIR,
  forSide,
  loadManifests,
  ModelSession,
  planTiles,
  silentLogger,
  type CartoonResult,
  type Engine,
  type RuntimeConfig,
} from '../../src/engine/expert.ts';
import { likenessPhotos } from '../likeness/likeness.ts';
import { benchModel, type BenchModelId } from './models.ts';
import { journalCost } from './journal.ts';
import { replyPaths } from './replies.ts';
import { switchCost } from './switching.ts';
import type { ClipRow, FaceCase, PortraitRow, Rows, ScaleRow, Int8Row, Task, TaskOf } from './rows.ts';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
export const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);
const peakRssMiB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The execution provider of this run (`--provider`, default auto); set in each child from its task. */
let runtime: RuntimeConfig = { ...DEFAULT_ENGINE_CONFIG.runtime };

async function engineFor(model: BenchModelId): Promise<Engine> {
  return createEngine({ models: [await benchModel(model)], runtime, queue: { perRequester: 1000, maxWaiting: 1000, deadlineMs: 3_600_000 }, logger: silentLogger });
}

const request = (image: Buffer, model: BenchModelId, resolution: number, requester = 'bench') => ({
  image,
  requester,
  options: { style: model, resolution, strength: 0.7, format: 'png' as const },
});

/** Child side: one measurement, printed as JSON. */
export async function measure(task: Task): Promise<Rows[Task['kind']]> {
  const image = await readFile(task.input);
  runtime = { ...DEFAULT_ENGINE_CONFIG.runtime, provider: task.provider };
  if (task.kind === 'scale') return scaleOut(task, image);
  if (task.kind === 'int8') return int8Row(task);
  if (task.kind === 'portrait') return faceCost(task, image);
  if (task.kind === 'clip') return clipCost(task, image);
  if (task.kind === 'journal') return journalCost(task, image);
  if (task.kind === 'replies') return replyPaths(task, image);
  if (task.kind === 'switch') return switchCost(task, image);
  if (task.kind === 'untiled') {
    const entry = await benchModel(task.model);
    const session = await ModelSession.open(entry, runtime, silentLogger);
    const n = task.resolution * task.resolution * 3;
    const data = new Float32Array(n).map((_, i) => ((i * 7919) % 255) / 127.5 - 1);
    const t = performance.now();
    await session.run(data, [1, 3, task.resolution, task.resolution]);
    return { inferenceMs: round(performance.now() - t), peakRssMiB: peakRssMiB() };
  }

  const engine = await engineFor(task.model);
  // The first two runs at a shape set up memory plans and JIT-compile the loops: not counted.
  await engine.submit(request(image, task.model, task.resolution));
  await engine.submit(request(image, task.model, task.resolution));
  try {
    if (task.kind === 'size') {
      // Bare inference: the same model, the same tile shapes, the same photo, nothing around it.
      // Runs alternate with the end-to-end ones, so that the machine's drift hits both alike,
      // and the overhead is the median of the pairwise ratios.
      const probe = await engine.submit(request(image, task.model, task.resolution));
      // The engine's own peak, before a second session (the bare one) adds its memory.
      const enginePeakMiB = peakRssMiB();
      // The graph the engine runs for this output size (the built-in style has one per size).
      const entry = forSide(await benchModel(task.model), task.resolution);
      const session = await ModelSession.open(entry, runtime, silentLogger);
      const frame = await decodeImage(image, probe.width, probe.height, { maxPixels: 1e9, maxBytes: 1e9 });
      const [lo, hi] = entry.manifest.io.range;
      const tensors = planTiles(frame.width, frame.height, entry.manifest.io, entry.manifest.tile).map((dims) => {
        const size = dims.reduce((x, y) => x * y, 1);
        // An 8-bit model takes the frame's bytes as they are; others floats in their range.
        if (entry.manifest.io.pixels === 'uint8') return { data: Uint8Array.from({ length: size }, (_, i) => frame.data[i % frame.data.length] as number), dims };
        const data = new Float32Array(size);
        for (let i = 0; i < data.length; i += 1) data[i] = lo + ((frame.data[i % frame.data.length] as number) / 255) * (hi - lo);
        return { data, dims };
      });
      const bareRun = async (): Promise<number> => {
        const t = performance.now();
        for (const { data, dims } of tensors) await session.run(data, dims, 0.7);
        return performance.now() - t;
      };
      // Warmed like the engine's session: the first two runs at a shape are not counted.
      await bareRun();
      await bareRun();
      const results: CartoonResult[] = [];
      const bare: number[] = [];
      for (let i = 0; i < task.runs; i += 1) {
        results.push(await engine.submit(request(image, task.model, task.resolution)));
        bare.push(await bareRun());
      }
      await session.dispose();
      const pick = (k: keyof CartoonResult['timings']) => round(median(results.map((r) => r.timings[k])));
      return {
        providers: engine.providers(),
        width: probe.width,
        height: probe.height,
        tiles: probe.tiles,
        runs: task.runs,
        decodeMs: pick('decode'),
        inferenceMs: pick('inference'),
        encodeMs: pick('encode'),
        totalMs: pick('total'),
        bareMs: round(median(bare)),
        overhead: round(median(results.map((r, i) => r.timings.total / (bare[i] as number))), 2),
        outputKiB: Math.round((probe.image.length / 1024) * 10) / 10,
        // With onnxruntime's CPU arena off (the default), each run returns its memory, so the
        // second session does not add to the peak.
        peakRssMiB: enginePeakMiB,
      };
    }
    if (task.kind === 'batch') {
      const rss: number[] = [mib(process.memoryUsage().rss)];
      const totals: number[] = [];
      for (let i = 0; i < task.images; i += 1) {
        totals.push((await engine.submit(request(image, task.model, task.resolution))).timings.total);
        rss.push(mib(process.memoryUsage().rss));
      }
      return {
        images: task.images,
        rssStartMiB: rss[0] as number,
        rssEndMiB: rss.at(-1) as number,
        rssMaxMiB: Math.max(...rss),
        rssSeriesMiB: rss,
        medianMs: round(median(totals)),
        peakRssMiB: peakRssMiB(),
      };
    }
    // Two users at once: both submit at the same instant, round after round.
    const alone: number[] = [];
    for (let i = 0; i < task.rounds; i += 1) alone.push((await engine.submit(request(image, task.model, task.resolution))).timings.total);
    // Which of the two is served first depends on whose header probe finishes first.
    const first: number[] = [];
    const second: number[] = [];
    for (let i = 0; i < task.rounds; i += 1) {
      const [a, b] = await Promise.all([engine.submit(request(image, task.model, task.resolution, 'user-a')), engine.submit(request(image, task.model, task.resolution, 'user-b'))]);
      first.push(Math.min(a.timings.total, b.timings.total));
      second.push(Math.max(a.timings.total, b.timings.total));
    }
    const aloneMs = median(alone);
    const meanPair = (median(first) + median(second)) / 2;
    return {
      rounds: task.rounds,
      aloneMs: round(aloneMs),
      firstMs: round(median(first)),
      secondMs: round(median(second)),
      addedMeanMs: round(meanPair - aloneMs),
      addedSecondMs: round(median(second) - aloneMs),
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await engine.close();
  }
}

/**
 * The embedded engine against one worker behind Redis, same style, size and photo, one after the
 * other in this process; then a batch of 20 through Redis, with Redis's memory before and after.
 */
async function scaleOut(task: TaskOf<'scale'>, image: Buffer): Promise<ScaleRow> {
  const { startRedis } = await import('../../dev/redis.ts');
  const { createRemoteEngine } = await import('../../src/scale/RemoteEngine.ts');
  const { startWorker } = await import('../../src/scale/worker.ts');
  const { Redis } = await import('ioredis');
  let server;
  try {
    server = await startRedis();
  } catch (error) {
    return { skipped: `no redis-server: ${error instanceof Error ? error.message : String(error)}` };
  }
  const job = { image, requester: 'bench', options: { resolution: task.resolution, strength: 0.7, format: 'png' as const } };
  const queue = { perRequester: 1000, maxWaiting: 1000, deadlineMs: 3_600_000 };
  const embedded = await createEngine({ runtime, queue, logger: silentLogger });
  await embedded.submit(job);
  const alone: number[] = [];
  for (let i = 0; i < task.runs; i += 1) alone.push((await embedded.submit(job)).timings.total);
  await embedded.close();

  const worker = await startWorker({ redisUrl: server.url, engine: { runtime, queue }, log: silentLogger, name: 'bench' });
  const remote = await createRemoteEngine({ redisUrl: server.url, engine: { queue, logger: silentLogger } });
  const client = new Redis(server.url);
  try {
    await remote.warmup();
    await remote.submit(job);
    const viaRedis: number[] = [];
    const transit: number[] = [];
    for (let i = 0; i < task.runs; i += 1) {
      const { timings } = await remote.submit(job);
      viaRedis.push(timings.total);
      // What Redis adds around the worker's own decode, model and encode.
      transit.push(timings.total - timings.decode - timings.inference - timings.encode);
    }
    const memory = async () => {
      const info = await client.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
      const events = Number((await client.call('MEMORY', 'USAGE', 'bull:toonbot:events')) ?? 0);
      return { used, events, keys: await client.dbsize() };
    };
    const before = await memory();
    const batch = await Promise.all(Array.from({ length: task.images }, (_, i) => remote.submit({ ...job, requester: `bench-${i}` })));
    await new Promise((r) => setTimeout(r, 500));
    const after = await memory();
    return {
      runs: task.runs,
      embeddedMs: round(median(alone)),
      redisMs: round(median(viaRedis)),
      addedMs: round(median(viaRedis) - median(alone)),
      transitMs: round(median(transit)),
      batch: batch.length,
      redisStartKiB: Math.round(before.used / 1024),
      redisEndKiB: Math.round(after.used / 1024),
      redisDeltaKiB: Math.round((after.used - before.used) / 1024),
      eventsDeltaKiB: Math.round((after.events - before.events) / 1024),
      keysStart: before.keys,
      keysEnd: after.keys,
    };
  } finally {
    client.disconnect();
    await remote.close();
    await worker.close();
    await server.stop();
  }
}

/**
 * The DCT-Net topology in int8 (QDQ, calibrated on the fixtures) against fp32 on the CPU: bare
 * session time at one size, paired runs, and the error in grey levels on the fixtures.
 */
async function int8Row(task: TaskOf<'int8'>): Promise<Int8Row> {
  const { makeInt8 } = await import('../../src/models/int8.ts');
  const entry = await benchModel('dctnet-topology');
  const fp32 = await readFile(entry.file);
  const made = await makeInt8(fp32, entry.manifest.io);
  if ('skipped' in made) return { skipped: made.skipped };
  const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' as const, enableCpuMemArena: true };
  const [f, q] = await Promise.all([ort.InferenceSession.create(fp32, options), ort.InferenceSession.create(made.bytes, options)]);
  const side = task.resolution;
  const data = new Float32Array(3 * side * side).map((_, i) => ((i * 7919) % 255) / 127.5 - 1);
  const run = async (s: ort.InferenceSession) => {
    const t = performance.now();
    await s.run({ [s.inputNames[0] as string]: new ort.Tensor('float32', data, [1, 3, side, side]) });
    return performance.now() - t;
  };
  await run(f);
  await run(q);
  const ratios: number[] = [];
  const fTimes: number[] = [];
  const qTimes: number[] = [];
  for (let i = 0; i < task.runs; i += 1) {
    const a = await run(f);
    const b = await run(q);
    fTimes.push(a);
    qTimes.push(b);
    ratios.push(b / a);
  }
  await Promise.all([f.release(), q.release()]);
  return {
    fp32Ms: round(median(fTimes)),
    int8Ms: round(median(qTimes)),
    ratio: round(median(ratios), 2),
    meanError: made.meanError,
    p99Error: made.p99Error,
    fp32Bytes: fp32.length,
    int8Bytes: made.bytes.length,
  };
}

/**
 * The face pass's cost (detection, crops, face graphs, paste back) in toon: a photo with one face,
 * a group of six, and one with none, each against toon with the face pass taken out.
 */
async function faceCost(task: Extract<Task, { kind: 'portrait' }>, portrait: Buffer): Promise<PortraitRow> {
  const models = await loadManifests(DEFAULT_MODELS_DIR);
  const frameOnly = models.map(({ headFile: _f, headVariantFiles: _v, ...entry }) => {
    const { head: _head, aliases: _aliases, ...manifest } = entry.manifest;
    return { ...entry, manifest: { ...manifest, pipeline: 'full-frame' as const } };
  });
  const photos = [
    { photo: 'portrait (1 face)', image: portrait },
    { photo: 'group (6 faces)', image: (await likenessPhotos()).find((p) => p.name === 'group-street')?.image as Buffer },
    { photo: 'coffee (no face)', image: await readFile(path.join(import.meta.dirname, '../../dev/fixtures/coffee.png')) },
  ];
  const time = async (engine: Engine, image: Buffer): Promise<CartoonResult[]> => {
    const req = { image, requester: 'bench', options: { style: 'toon', resolution: task.resolution, strength: 0.7, format: 'png' as const } };
    // Two untimed runs: memory plans and the face graphs' sessions.
    await engine.submit(req);
    await engine.submit(req);
    const runs: CartoonResult[] = [];
    for (let i = 0; i < task.runs; i += 1) runs.push(await engine.submit(req));
    return runs;
  };
  const withFaces = await createEngine({ runtime, queue: { perRequester: 1000, maxWaiting: 1000 }, logger: silentLogger });
  const without = await createEngine({ runtime, models: frameOnly, queue: { perRequester: 1000, maxWaiting: 1000 }, logger: silentLogger });
  try {
    const cases: FaceCase[] = [];
    for (const { photo, image } of photos) {
      // Interleaved, so that both see the machine alike.
      const a = await time(withFaces, image);
      const b = await time(without, image);
      const totalMs = median(a.map((r) => r.timings.total - r.timings.queued));
      const frameOnlyMs = median(b.map((r) => r.timings.total - r.timings.queued));
      cases.push({
        photo,
        faces: a[0]?.portrait?.faces ?? 0,
        detectMs: round(median(a.map((r) => r.portrait?.detectMs ?? 0))),
        headMs: round(median(a.map((r) => r.portrait?.headMs ?? 0))),
        totalMs: round(totalMs),
        frameOnlyMs: round(frameOnlyMs),
        added: round(totalMs / frameOnlyMs - 1, 3),
      });
    }
    return { cases, peakRssMiB: peakRssMiB() };
  } finally {
    await withFaces.close();
    await without.close();
  }
}

/**
 * A clip of `seconds` at 15 fps and `resolution` px (the bench photo panning slowly, as an MP4)
 * through the engine, against its frames submitted one by one as PNG photos of the same size; and
 * how long a photo sent while the clip runs waits for its turn.
 */
async function clipCost(task: TaskOf<'clip'>, photo: Buffer): Promise<ClipRow> {
  const fps = 15;
  const count = Math.round(task.seconds * fps);
  const side = task.resolution;
  const step = 2;
  const frames = await panFrames(photo, side, side, { step, count });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-bench-clip-'));
  const file = path.join(dir, 'clip.mp4');
  async function* each(): AsyncGenerator<Buffer> {
    yield* frames;
  }
  await encodeFrames(each(), { width: side, height: side }, fps, 'mp4', file, { crf: 12 });
  const clip = await readFile(file);
  await rm(dir, { recursive: true, force: true });
  const pngs = await Promise.all(
    frames.map((f) =>
      sharp(f, { raw: { width: side, height: side, channels: 3 } })
        .png()
        .toBuffer(),
    ),
  );
  const engine = await createEngine({ runtime, queue: { perRequester: 1000, maxWaiting: 1000, deadlineMs: 3_600_000 }, logger: silentLogger });
  try {
    const options = { style: 'toon', resolution: side, strength: 0.7, format: 'png' as const };
    // Untimed: sessions open, memory plans made.
    await engine.submit({ image: pngs[0] as Buffer, options });
    await engine.submit({ image: clip, options, clip: {} });
    let t = performance.now();
    const result = await engine.submit({ image: clip, options, clip: {}, requester: 'clip' });
    const clipMs = performance.now() - t;
    t = performance.now();
    for (const png of pngs) await engine.submit({ image: png, options });
    const photosMs = performance.now() - t;
    // A photo from someone else, sent a moment after a clip starts.
    const running = engine.submit({ image: clip, options, clip: {}, requester: 'clip' });
    await new Promise((r) => setTimeout(r, 200));
    const waited = await engine.submit({ image: pngs[0] as Buffer, options, requester: 'someone' });
    await running;
    return {
      frames: result.clip?.frames ?? 0,
      fps: result.clip?.fps ?? 0,
      width: result.width,
      height: result.height,
      clipMs: round(clipMs),
      photosMs: round(photosMs),
      ratio: round(clipMs / photosMs, 2),
      photoWaitMs: round(waited.timings.queued),
      bytes: result.image.length,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await engine.close();
  }
}
