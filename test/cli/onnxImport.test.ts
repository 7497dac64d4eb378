/**
 * `toonbot models import <name> <file.onnx>`: small generated graphs with the conventions found in
 * the wild (AnimeGAN's NHWC [-1, 1], NCHW [0, 1], NCHW [0, 255], a fixed size), each detected and
 * installed as a style that runs; and the graphs refused with the convention to try.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, silentLogger } from '../../src/engine/index.ts';
import { GraphBuilder, type Dim } from '../../src/modelgen/GraphBuilder.ts';
import { importOnnx, type OnnxImportOptions } from '../../src/models/onnxImport.ts';
import { verifyInstalled } from '../../src/models/index.ts';
import { fixture } from '../helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A 3x3 convolution that keeps the picture (a light blur), then `finish` (range-specific). */
function generator(layout: 'NHWC' | 'NCHW', side: Dim, finish: (g: GraphBuilder, x: string) => string, stride = 1): Uint8Array {
  const g = new GraphBuilder('test_generator');
  const dims = layout === 'NHWC' ? [1, side, side, 3] : [1, 3, side, side];
  let x = g.input('input', dims);
  if (layout === 'NHWC') x = g.op('Transpose', [x], { perm: [0, 3, 1, 2] });
  const w = new Float32Array(3 * 3 * 9);
  for (let c = 0; c < 3; c += 1) for (let k = 0; k < 9; k += 1) w[(c * 3 + c) * 9 + k] = k === 4 ? 0.6 : 0.05;
  let y = finish(g, g.op('Conv', [x, g.tensor('w', w, [3, 3, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] }));
  if (layout === 'NHWC') y = g.op('Transpose', [y], { perm: [0, 2, 3, 1] });
  g.output(y, 'output', layout === 'NHWC' ? [1, 'oh', 'ow', 3] : [1, 3, 'oh', 'ow']);
  return g.toBytes('test');
}

async function save(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `${name}.onnx`);
  await writeFile(file, bytes);
  return file;
}

const opts = (extra: Partial<OnnxImportOptions> = {}): OnnxImportOptions => ({ modelsDir: path.join(dir, 'models'), licence: 'MIT (test weights)', ...extra });

describe('importing an ONNX generator', () => {
  it("detects AnimeGAN's NHWC [-1, 1], NCHW [0, 1] and NCHW [0, 255], measures the reach, and installs styles that run", async () => {
    const tanh = (g: GraphBuilder, x: string) => g.op('Tanh', [g.op('Mul', [x, g.scalar(1.5)])]);
    const sigmoid = (g: GraphBuilder, x: string) => g.op('Sigmoid', [g.op('Mul', [g.op('Sub', [x, g.scalar(0.5)]), g.scalar(4)])]);
    const bytes255 = (g: GraphBuilder, x: string) => g.op('Clip', [g.op('Sub', [g.op('Mul', [x, g.scalar(1.1)]), g.scalar(10)]), g.scalar(0), g.scalar(255)]);
    const cases = [
      { id: 'anime-hayao', file: await save('hayao', generator('NHWC', 'h', tanh)), io: { layout: 'NHWC', range: [-1, 1] } },
      { id: 'zero-one', file: await save('zero-one', generator('NCHW', 'h', sigmoid)), io: { layout: 'NCHW', range: [0, 1] } },
      { id: 'bytes', file: await save('bytes', generator('NCHW', 'h', bytes255)), io: { layout: 'NCHW', range: [0, 255] } },
    ];
    for (const c of cases) {
      const manifest = await importOnnx(c.id, c.file, opts());
      expect(manifest.io, c.id).toMatchObject({ ...c.io, colorOrder: 'RGB', sizeMultiple: 8, input: 'input', output: 'output' });
      // A 3x3 convolution reaches one pixel: the margin is that, rounded up to the multiple.
      expect(manifest.tile.margin, c.id).toBe(8);
      expect(manifest.license).toBe('MIT (test weights)');
      expect(JSON.parse(await readFile(path.join(dir, 'models', 'installed', `${c.id}.json`), 'utf8')).sha256).toBe(manifest.sha256);
    }
    const engine = await createEngine({ modelsDir: path.join(dir, 'models'), logger: silentLogger });
    try {
      expect(engine.styles().map((s) => s.id)).toEqual(expect.arrayContaining(['anime-hayao', 'zero-one', 'bytes']));
      const result = await engine.submit({ image: fixture('astronaut.png'), options: { style: 'anime-hayao', resolution: 256, strength: 1 } });
      expect([result.width, result.height]).toEqual([256, 256]);
    } finally {
      await engine.close();
    }
    expect((await verifyInstalled(path.join(dir, 'models'))).filter((v) => ['anime-hayao', 'zero-one', 'bytes'].includes(v.id)).every((v) => v.problems.length === 0)).toBe(true);
  });

  it('finds the multiple a graph needs: one that halves its frame four times takes sides a multiple of 16', async () => {
    const g = new GraphBuilder('test_down_up');
    let x = g.input('input', [1, 3, 'h', 'w']);
    const w = new Float32Array(81);
    for (let c = 0; c < 3; c += 1) for (let k = 0; k < 9; k += 1) w[(c * 3 + c) * 9 + k] = 1 / 9;
    for (let i = 0; i < 4; i += 1) x = g.op('Conv', [x, g.tensor('w', w, [3, 3, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
    g.output(g.op('Resize', [x, '', g.tensor('scales', [1, 1, 16, 16], [4])], { mode: 'linear' }), 'output', [1, 3, 'oh', 'ow']);
    const manifest = await importOnnx('down-up', await save('down-up', g.toBytes('test')), opts());
    // (A linear graph keeps the photo in any range: which one is not the point here.)
    expect(manifest.io).toMatchObject({ layout: 'NCHW', sizeMultiple: 16 });
  });

  it('takes a fixed-size graph at its size, and flags over what it would detect (BGR, a range)', async () => {
    const file = await save(
      'fixed',
      generator('NCHW', 64, (g, x) => g.op('Sigmoid', [g.op('Mul', [g.op('Sub', [x, g.scalar(0.5)]), g.scalar(4)])])),
    );
    const manifest = await importOnnx('fixed-size', file, opts({ colorOrder: 'BGR', range: [0, 1] }));
    expect(manifest.io).toMatchObject({ layout: 'NCHW', range: [0, 1], colorOrder: 'BGR', sizeMultiple: 64 });
    expect(manifest.tile.maxSide).toBe(64);
  });

  it('on the command line, asks for the licence before anything is installed', async () => {
    const file = await save(
      'cli',
      generator('NHWC', 'h', (g, x) => g.op('Tanh', [x])),
    );
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/toonbot.js');
    const run = await promisify(execFile)(process.execPath, [bin, 'models', 'import', 'cli-style', file], { env: { ...process.env, TOONBOT_MODELS_DIR: path.join(dir, 'cli-models') } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--licence');
  });

  it('refuses graphs that do not give the photo back, saying what to try', async () => {
    const constant = await save(
      'constant',
      generator('NHWC', 'h', (g, x) => g.op('Add', [g.op('Mul', [x, g.scalar(0)]), g.scalar(0.5)])),
    );
    await expect(importOnnx('constant', constant, opts())).rejects.toThrow(/output is a flat constant\. Try another --range/);
    const noise = await save(
      'noise',
      generator('NHWC', 'h', (g, x) => g.op('Sin', [g.op('Mul', [x, g.scalar(5000)])])),
    );
    await expect(importOnnx('noise', noise, opts())).rejects.toThrow(/does not look like the photo \(noise\)/);
    const halves = await save(
      'halves',
      generator('NCHW', 'h', (_g, x) => x, 2),
    );
    await expect(importOnnx('halves', halves, opts())).rejects.toThrow(/gives no frame back at its own size .*: pass --multiple/);
    // Told the multiple, it runs the photo and says the output is not the input's size.
    await expect(importOnnx('halves', halves, opts({ sizeMultiple: 8 }))).rejects.toThrow(/not an image-to-image graph of the same size/);
    await expect(importOnnx('Bad Name', halves, opts())).rejects.toThrow(/lowercase letters, digits and dashes/);
    await expect(importOnnx('nolicence', halves, opts({ licence: ' ' }))).rejects.toThrow(/--licence/);
    const notOnnx = path.join(dir, 'text.onnx');
    await writeFile(notOnnx, 'hello');
    await expect(importOnnx('text', notOnnx, opts())).rejects.toThrow(/not a model onnxruntime can open/);
  });
});
