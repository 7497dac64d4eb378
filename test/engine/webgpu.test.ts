/**
 * The WebGPU execution provider (built into onnxruntime-node: Dawn on Vulkan, Direct3D 12 or
 * Metal). These run when the machine has a WebGPU adapter, a real GPU or Mesa's CPU Vulkan driver
 * (lavapipe: see the README), and are reported as skipped, with the reason, when it has none.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_MODELS_DIR, sha256, silentLogger, type Engine, type Logger, type ModelEntry } from '../../src/engine/expert.ts';
import { GraphBuilder } from '../../src/modelgen/GraphBuilder.ts';
import { fixture, pixels } from '../helpers.ts';

/** Why WebGPU cannot be tested here, or null when it can. */
async function noAdapter(): Promise<string | null> {
  try {
    const session = await ort.InferenceSession.create(await readFile(path.join(DEFAULT_MODELS_DIR, 'looks-256.onnx')), { executionProviders: ['webgpu'] });
    await session.release();
    return null;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown';
  }
}

const reason = await noAdapter();
if (reason) console.warn(`WebGPU tests skipped: no WebGPU adapter on this machine (${reason}). See the README to install lavapipe.`);

async function runBoth(file: string, width: number, height: number, look = 0): Promise<number> {
  const bytes = await readFile(path.join(DEFAULT_MODELS_DIR, file));
  // The built-in graphs take and give 8-bit RGB pixels (NHWC).
  const data = Uint8Array.from({ length: 3 * width * height }, (_, i) => Math.round(((Math.sin(i * 0.37) + 1) / 2) * 255));
  const [gpu, cpu] = await Promise.all(['webgpu', 'cpu'].map((p) => ort.InferenceSession.create(bytes, { executionProviders: [p] })));
  // The built-in looks share one graph per size (an int64 input picks the look); the pages take
  // their tile's corner, manga's face graphs where the crop sits on the page (a crop turned 10°).
  const turn = (10 * Math.PI) / 180;
  const all: Record<string, ort.Tensor> = {
    image: new ort.Tensor('uint8', data, [1, height, width, 3]),
    strength: new ort.Tensor('float32', Float32Array.of(0.7), [1]),
    look: new ort.Tensor('int64', BigInt64Array.of(BigInt(look)), []),
    origin: new ort.Tensor('float32', Float32Array.of(0, 0), [2]),
    placement: new ort.Tensor('float32', Float32Array.of(1.3 * Math.cos(turn), 1.3 * Math.sin(turn), 40, 25, 0.7), [5]),
  };
  const feeds = Object.fromEntries(Object.entries(all).filter(([name]) => gpu!.inputNames.includes(name)));
  const a = (await gpu!.run(feeds)).cartoon!.data as Uint8Array;
  const b = (await cpu!.run(feeds)).cartoon!.data as Uint8Array;
  await Promise.all([gpu!.release(), cpu!.release()]);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe.skipIf(reason !== null)('WebGPU provider', () => {
  let engine: Engine;
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
  beforeAll(async () => {
    engine = await createEngine({ runtime: { provider: 'webgpu' }, logger });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it.each([
    ['looks-256.onnx', 0],
    ['looks-256.onnx', 2],
    ['faces-144.onnx', 0],
    ['faces-144.onnx', 2],
  ] as const)("%s, look %i, gives the CPU provider's output within one grey level", async (file, look) => {
    // Float results a hair apart can round to neighbouring levels, never further.
    expect(await runBoth(file, 96, 64, look)).toBeLessThanOrEqual(1);
  });

  it('runs a whole engine job on WebGPU, faces included, and matches the CPU engine to a grey level', async () => {
    const onGpu = await engine.submit({ image: fixture('astronaut.png'), options: { resolution: 256, style: 'toon' } });
    expect(engine.providers()).toContain('webgpu');
    expect(warnings).toEqual([]);
    expect(onGpu.portrait?.faces).toBe(1);
    const cpu = await createEngine({ runtime: { provider: 'cpu' } });
    try {
      const onCpu = await cpu.submit({ image: fixture('astronaut.png'), options: { resolution: 256, style: 'toon' } });
      const [a, b] = await Promise.all([pixels(onGpu.image), pixels(onCpu.image)]);
      expect([a.width, a.height]).toEqual([b.width, b.height]);
      let worst = 0;
      for (let i = 0; i < a.data.length; i += 1) worst = Math.max(worst, Math.abs((a.data[i] as number) - (b.data[i] as number)));
      expect(worst).toBeLessThanOrEqual(1);
      expect((await sharp(onGpu.image).metadata()).format).toBe('png');
    } finally {
      await cpu.close();
    }
  });

  it('retries a run that fails on WebGPU on the CPU, once, with one log line; the job is answered either way', async () => {
    // A graph that opens everywhere but cannot run on this frame (a 128x256 frame's values do not
    // fold into rows of 7): the fallback is taken, and the CPU's own failure is the job's answer.
    const g = new GraphBuilder('cannot-run');
    const image = g.input('image', [1, 3, 'h', 'w']);
    const rows = g.op('Reshape', [image, g.int64s('rows', [1, 3, -1, 7])]);
    g.output(g.op('Reshape', [rows, g.op('Shape', [image])]), 'cartoon', [1, 3, 'h', 'w']);
    const bytes = g.toBytes();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-webgpu-'));
    const file = path.join(dir, 'copy.onnx');
    await writeFile(file, bytes);
    const entry: ModelEntry = {
      file,
      manifest: {
        id: 'copy',
        name: 'Copy',
        description: 'a graph that cannot run on a 128x256 frame',
        pipeline: 'full-frame',
        file: 'copy.onnx',
        sha256: sha256(bytes),
        license: 'Apache-2.0',
        source: 'test',
        listed: true,
        io: { input: 'image', output: 'cartoon', layout: 'NCHW', range: [0, 1], colorOrder: 'RGB', sizeMultiple: 1, minSide: 1 },
        tile: { maxSide: 4096, margin: 0, feather: 0 },
      },
    };
    const fallbacks: unknown[] = [];
    const own = await createEngine({ models: [entry], defaultStyle: 'copy', runtime: { provider: 'webgpu' }, logger: { ...silentLogger, warn: (m, f) => void fallbacks.push({ m, ...f }) } });
    try {
      const photo = await sharp(fixture('chelsea.png')).resize(41, 108, { fit: 'fill' }).png().toBuffer();
      const failure = await own.submit({ image: photo, options: { resolution: 256, strength: 1 } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failure).toMatchObject({ code: 'INTERNAL' });
      expect(fallbacks).toEqual([expect.objectContaining({ m: 'execution provider failed at run, falling back to cpu', model: 'copy', provider: 'webgpu' })]);
      expect(own.providers()).toEqual(['cpu']);
      // Once on the CPU it stays there: the next job does not try WebGPU again.
      await own.submit({ image: photo, options: { resolution: 256, strength: 1 } }).catch(() => undefined);
      expect(fallbacks).toHaveLength(1);
    } finally {
      await own.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
