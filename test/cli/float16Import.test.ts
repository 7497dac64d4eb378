/**
 * float16 generators, as many community exports are (AnimeGANv3's: NHWC, float16 in and out,
 * dynamic sides): made here from float32 graphs the way conversion tools make them (every weight
 * float16, a cast where an edge stays float32), in each convention (NHWC/NCHW, -1..1/0..1/0..255,
 * multiple 8/16/32, dynamic and fixed batch), installed with `models import` and run for real:
 * through the CLI and through the Telegram bot against its stand-in.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FakeBotApi } from '../../dev/standins/telegram/FakeBotApi.ts';
import { alice, photoMessage, privateChat } from '../../dev/standins/telegram/updates.ts';
import { TELEGRAM_DEFAULTS, TelegramBot } from '../../src/bots/telegram/index.ts';
import { createEngine, silentLogger } from '../../src/engine/index.ts';
import { GraphBuilder, type Dim } from '../../src/modelgen/GraphBuilder.ts';
import { importOnnx } from '../../src/models/onnxImport.ts';
import { fixture, FIXTURES, scratchFolder } from '../helpers.ts';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const scratch = scratchFolder('toonbot-f16-');
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/toonbot.js');

type Finish = (g: GraphBuilder, x: string) => string;
const tanh: Finish = (g, x) => g.op('Tanh', [g.op('Mul', [x, g.scalar(1.5)])]);
const sigmoid: Finish = (g, x) => g.op('Sigmoid', [g.op('Mul', [g.op('Sub', [x, g.scalar(0.5)]), g.scalar(4)])]);
const bytes255: Finish = (g, x) => g.op('Clip', [g.op('Sub', [g.op('Mul', [x, g.scalar(1.1)]), g.scalar(10)]), g.scalar(0), g.scalar(255)]);

/**
 * A float32 generator: `depth` stride-2 convolutions and back up (sides a multiple of 2^depth; at
 * depth 0 one 3x3 convolution), then `finish`; the batch dimension `batch` (1, or symbolic).
 */
function generator(layout: 'NHWC' | 'NCHW', finish: Finish, depth: number, batch: Dim): Uint8Array {
  const g = new GraphBuilder('half_generator');
  const dims = (h: Dim) => (layout === 'NHWC' ? [batch, h, h, 3] : [batch, 3, h, h]);
  let x = g.input('input', dims('h'));
  if (layout === 'NHWC') x = g.op('Transpose', [x], { perm: [0, 3, 1, 2] });
  const w = new Float32Array(81);
  for (let c = 0; c < 3; c += 1) for (let k = 0; k < 9; k += 1) w[(c * 3 + c) * 9 + k] = k === 4 ? 0.6 : 0.05;
  x = g.op('Conv', [x, g.tensor('w', w, [3, 3, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  for (let i = 0; i < depth; i += 1) x = g.op('Conv', [x, g.tensor('down', w, [3, 3, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] });
  if (depth > 0) x = g.op('Resize', [x, '', g.tensor('scales', [1, 1, 2 ** depth, 2 ** depth], [4])], { mode: 'linear' });
  let y = finish(g, x);
  if (layout === 'NHWC') y = g.op('Transpose', [y], { perm: [0, 2, 3, 1] });
  g.output(y, 'output', dims('oh'));
  return g.toBytes('test');
}

/** float32 -> float16 bits (round to nearest; the test weights are well inside float16's range). */
function half(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | Math.round(mantissa / 0x2000);
}

/**
 * The graph converted the way float16 tools do: every float weight float16, the edges float16 (or
 * kept float32 with a cast inside, `keep`), every op computing in float16.
 */
function toHalf(bytes: Uint8Array, keep: { input?: boolean; output?: boolean } = {}): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnxProto.onnx.GraphProto;
  // A Resize's scales stay float32 (the operator takes no other), as the tools leave them.
  const scales = new Set(graph.node.filter((n) => n.opType === 'Resize').map((n) => n.input?.[2] ?? ''));
  for (const t of graph.initializer) {
    if (t.dataType !== DT.FLOAT || scales.has(t.name ?? '')) continue;
    const values = t.floatData?.length ? Float32Array.from(t.floatData) : new Float32Array(new Uint8Array(t.rawData ?? []).slice().buffer);
    t.dataType = DT.FLOAT16;
    t.floatData = [];
    t.rawData = new Uint8Array(Uint16Array.from(values, half).buffer);
  }
  const cast = (from: string, to: string, type: number) => ({ opType: 'Cast', input: [from], output: [to], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: type }] });
  const input = graph.input[0] as onnxProto.onnx.ValueInfoProto;
  const output = graph.output[0] as onnxProto.onnx.ValueInfoProto;
  if (keep.input) {
    for (const n of graph.node) n.input = (n.input ?? []).map((i) => (i === input.name ? 'input_half' : i));
    graph.node.unshift(cast(input.name, 'input_half', DT.FLOAT16));
  } else (input.type?.tensorType as onnxProto.onnx.TypeProto.Tensor).elemType = DT.FLOAT16;
  if (keep.output) {
    for (const n of graph.node) n.output = (n.output ?? []).map((o) => (o === output.name ? 'output_half' : o));
    graph.node.push(cast('output_half', output.name, DT.FLOAT));
  } else (output.type?.tensorType as onnxProto.onnx.TypeProto.Tensor).elemType = DT.FLOAT16;
  return onnx.ModelProto.encode(model).finish();
}

const CASES: { id: string; layout: 'NHWC' | 'NCHW'; finish: Finish; depth: number; batch: Dim; range: [number, number]; multiple: number; keep: { input?: boolean; output?: boolean } }[] = [
  { id: 'anime-v3', layout: 'NHWC', finish: tanh, depth: 3, batch: 'N', range: [-1, 1], multiple: 8, keep: {} },
  { id: 'zero-one-16', layout: 'NCHW', finish: sigmoid, depth: 4, batch: 1, range: [0, 1], multiple: 16, keep: {} },
  { id: 'bytes-32', layout: 'NCHW', finish: bytes255, depth: 5, batch: 'batch', range: [0, 255], multiple: 32, keep: {} },
  { id: 'float-in-half-out', layout: 'NHWC', finish: tanh, depth: 0, batch: 1, range: [-1, 1], multiple: 8, keep: { input: true } },
  { id: 'half-in-float-out', layout: 'NCHW', finish: sigmoid, depth: 3, batch: 'N', range: [0, 1], multiple: 8, keep: { output: true } },
];

describe('importing float16 generators', () => {
  it('each convention is detected as its float32 twin would be, installed with float32 edges, and runs', async () => {
    const modelsDir = path.join(scratch.path, 'models');
    for (const c of CASES) {
      const file = path.join(scratch.path, `${c.id}.onnx`);
      await writeFile(file, toHalf(generator(c.layout, c.finish, c.depth, c.batch), c.keep));
      const lines: string[] = [];
      const manifest = await importOnnx(c.id, file, { modelsDir, licence: 'MIT (test weights)', log: (l) => lines.push(l) });
      expect(manifest.io, c.id).toMatchObject({ layout: c.layout, range: c.range, sizeMultiple: c.multiple, input: 'input', output: 'output' });
      // Said in the log: which edges were float16; and no int8 of a float16 graph.
      const edges = [c.keep.input ? '' : 'input', c.keep.output ? '' : 'output'].filter(Boolean).join(' and ');
      expect(lines[0], c.id).toBe(`float16 ${edges}: a cast to float32 added at the graph's edge (installed that way; inside, the graph computes as it was made, in float16)`);
      expect(manifest.int8, c.id).toBeUndefined();
      expect(manifest.description, c.id).toContain('float16');
      // The installed graph is float32 at its edges, the weights still float16.
      const installed = onnx.ModelProto.decode(await readFile(path.join(modelsDir, 'installed', c.id, 'model.onnx'))).graph as onnxProto.onnx.GraphProto;
      expect([installed.input[0]?.type?.tensorType?.elemType, installed.output[0]?.type?.tensorType?.elemType], c.id).toEqual([DT.FLOAT, DT.FLOAT]);
      expect(installed.initializer.filter((t) => !t.name?.startsWith('scales')).every((t) => t.dataType === DT.FLOAT16)).toBe(true);
      const lock = JSON.parse(await readFile(path.join(modelsDir, 'installed', 'lock.json'), 'utf8'))[c.id];
      expect(lock.from.size, c.id).toBe((await readFile(file)).length);
    }
    const engine = await createEngine({ modelsDir, logger: silentLogger });
    try {
      for (const c of CASES) {
        // An odd size: padded to the multiple and cropped back; the picture kept (a light blur).
        const result = await engine.submit({ image: fixture('coffee.png'), options: { style: c.id, resolution: 300, strength: 1 } });
        expect([result.width, result.height], c.id).toEqual([300, 200]);
        const stats = await sharp(result.image).stats();
        expect(
          stats.channels.every((ch) => ch.stdev > 10),
          c.id,
        ).toBe(true);
      }
    } finally {
      await engine.close();
    }
  }, 180_000);

  it('from the command line: import says what it found and what a 1024 photo costs here, then `cartoon` and the Telegram bot use the style', async () => {
    const modelsDir = path.join(scratch.path, 'cli-models');
    const file = path.join(scratch.path, 'animegan-v3-half.onnx');
    await writeFile(file, toHalf(generator('NHWC', tanh, 3, 'N')));
    const env = { ...process.env, TOONBOT_MODELS_DIR: modelsDir };
    const run = (args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { env, cwd: scratch.path, timeout: 120_000 });
    // Checked first: what the import will find and what a 1024 run costs here; nothing installed.
    const checked = await run(['models', 'check', file]);
    expect(checked.stderr).toMatch(/NHWC, range -1\.\.1, RGB, sides a multiple of 8/);
    expect(checked.stderr).toMatch(/one 1024x1024 run takes \d+ ms on this machine/);
    expect(checked.stdout).toMatch(/^animegan-v3-half\.onnx can be imported: a 1024 run takes about [\d.]+ s on this machine\n$/);
    expect(await readdir(scratch.path)).not.toContain('cli-models');
    const imported = await run(['models', 'import', 'hayao-half', file, '--licence', 'MIT (test weights)', '--source', 'made by the test']);
    expect(imported.stderr).toContain("float16 input and output: a cast to float32 added at the graph's edge");
    expect(imported.stderr).toMatch(/animegan-v3-half\.onnx: NHWC, range -1\.\.1, RGB, sides a multiple of 8; likeness to the photo [\d.]+; reach \d+ px/);
    expect(imported.stdout).toMatch(/^installed hayao-half; a photo at 1024: 1024x1024 in [\d.]+ ms on this machine \(cpu\), 0 face\(s\)/);
    expect((await run(['models', 'list'])).stdout).toMatch(/hayao-half\s+full-frame\s+yes\s+MIT \(test weights\)\s+made by the test/);

    const out = path.join(scratch.path, 'out');
    await run(['cartoon', path.join(FIXTURES, 'coffee.png'), '-o', out, '--style', 'hayao-half', '--resolution', '256']);
    expect((await sharp(path.join(out, (await readdir(out))[0] as string)).metadata()).width).toBe(256);

    const engine = await createEngine({ modelsDir, logger: silentLogger });
    const api = new FakeBotApi();
    await api.start();
    const bot = await TelegramBot.start(engine, { ...TELEGRAM_DEFAULTS, token: api.token, apiRoot: api.apiRoot, settingsPath: path.join(scratch.path, 'settings.json') }, silentLogger);
    try {
      const photo = await sharp(fixture('coffee.png')).jpeg().toBuffer();
      api.addFile('c-s', photo);
      api.addFile('c-l', photo);
      api.push({ message: photoMessage(privateChat(alice), alice, { small: 'c-s', large: 'c-l' }, { caption: 'hayao-half res=512' }) });
      const sent = await api.waitFor((c) => c.method === 'sendPhoto', 60_000);
      expect((await sharp(sent.files.photo?.data).metadata()).width).toBe(512);
    } finally {
      await bot.stop();
      await api.stop();
      await engine.close();
    }
  }, 180_000);
});
