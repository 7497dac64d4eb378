import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODELS_DIR, validateManifest } from '../../src/engine/expert.ts';
import { builtinModels } from '../../src/modelgen/builtinManifest.ts';
import { BUILTIN_SIDES, buildBuiltinStyle } from '../../src/modelgen/builtinStyle.ts';
import { combineGraphs } from '../../src/modelgen/combine.ts';
import { buildFaceStyle, FACE_SIDES } from '../../src/modelgen/faceStyle.ts';
import { buildDctnetTopology, dctnetMacs } from '../../src/modelgen/dctnetTopology.ts';

/** Nodes in a model, its branches' included. */
async function nodeCount(bytes: Uint8Array): Promise<number> {
  const { default: onnxProto } = await import('onnx-proto');
  const count = (g: { node?: { attribute?: { g?: unknown }[] | null }[] | null }): number =>
    (g.node ?? []).reduce((n, node) => n + 1 + (node.attribute ?? []).reduce((m, a) => m + (a.g ? count(a.g as never) : 0), 0), 0);
  return count(onnxProto.onnx.ModelProto.decode(bytes).graph as never);
}

describe('looks combined in one graph', () => {
  it('hoisted: what every look computes alike runs once outside the branches, and each look draws exactly what it drew', async () => {
    const side = 102;
    const graphs = (['toon', 'sketch', 'manga', 'comic'] as const).map((look) => buildFaceStyle(side, look));
    const [apart, hoisted] = [false, true].map((hoist) => combineGraphs(graphs, 'look', 'cartoon', 'test', { hoist })) as [Uint8Array, Uint8Array];
    const [nodesApart, nodesHoisted] = [await nodeCount(apart), await nodeCount(hoisted)];
    // Four looks of ~630 nodes share ~370 (measured at 204 px: 368).
    expect(nodesHoisted).toBeLessThan(nodesApart * 0.7);
    const sessions = await Promise.all([apart, hoisted].map((bytes) => ort.InferenceSession.create(bytes)));
    const image = new Uint8Array(side * side * 3).map((_, i) => (i * 7919) % 251);
    const drawn: Buffer[] = [];
    for (let look = 0; look < 4; look += 1) {
      const feeds = {
        image: new ort.Tensor('uint8', image, [1, side, side, 3]),
        strength: new ort.Tensor('float32', Float32Array.of(0.7), [1]),
        look: new ort.Tensor('int64', BigInt64Array.of(BigInt(look)), []),
        // Where the crop sits on the page (manga lays the page's screentone on the hair).
        placement: new ort.Tensor('float32', Float32Array.of(1.2, 0.1, 30, 40, 1), [5]),
      };
      const [a, b] = await Promise.all(sessions.map(async (session) => (await session.run(feeds)).cartoon?.data as Uint8Array));
      expect(Buffer.from(b as Uint8Array).equals(Buffer.from(a as Uint8Array)), `look ${look}`).toBe(true);
      drawn.push(Buffer.from(b as Uint8Array));
    }
    // And the looks differ from each other: the branch picked is the look asked for.
    expect(new Set(drawn.map((d) => d.toString('base64'))).size).toBe(4);
    await Promise.all(sessions.map((s) => s.release()));
  });
});

describe('the built-in style graphs', () => {
  it('are deterministic, small, one per output size, and the committed files are what the generator makes today', async () => {
    expect(Buffer.from(buildBuiltinStyle(0.5)).equals(Buffer.from(buildBuiltinStyle(0.5)))).toBe(true);
    expect(Buffer.from(buildBuiltinStyle(0.5)).equals(Buffer.from(buildBuiltinStyle(1)))).toBe(false);
    const { files, manifest, looks } = builtinModels();
    // The four looks in one whole-frame graph per output size and one face graph per crop size,
    // each look picking its own through the graphs' look input (0 toon, 1 sketch, 2 manga, 3 comic).
    expect(files).toHaveLength(BUILTIN_SIDES.length + FACE_SIDES.length);
    expect([manifest, ...looks].map((m) => [m.io.select, m.head?.io?.select])).toEqual(
      [0, 1, 2, 3].map((value) => [
        { input: 'look', value },
        { input: 'look', value },
      ]),
    );
    expect(new Set([manifest, ...looks].map((m) => m.sha256)).size).toBe(1);
    expect(looks.map((l) => l.id)).toEqual(['sketch', 'manga', 'comic']);
    for (const look of looks) {
      const committed = validateManifest(JSON.parse(await readFile(path.join(DEFAULT_MODELS_DIR, `${look.id}.json`), 'utf8')));
      expect(committed).toEqual(look);
      expect(look.io).toMatchObject({ strength: 'strength', origin: 'origin', pixels: 'uint8' });
    }
    for (const { file, bytes } of files) {
      expect(bytes.length).toBeLessThan(4 * 128 * 1024);
      const committed = await readFile(path.join(DEFAULT_MODELS_DIR, file));
      expect(createHash('sha256').update(committed).digest('hex'), file).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    const committedManifest = validateManifest(JSON.parse(await readFile(path.join(DEFAULT_MODELS_DIR, 'toon.json'), 'utf8')));
    expect(committedManifest).toEqual(manifest);
    expect([manifest.side, ...(manifest.variants ?? []).map((v) => v.side)].sort((a, b) => (a as number) - (b as number))).toEqual([...BUILTIN_SIDES]);
    // Every look is face-aware: its face pass is cut at the face's own scale, one graph per crop
    // side, and takes no tile corner (it lays no pattern); the old portrait style is an alias.
    expect(manifest.aliases).toEqual(['toon-portrait']);
    for (const m of [manifest, ...looks]) {
      expect(m.pipeline).toBe('portrait');
      expect(m.head).toMatchObject({ crop: 'face', side: 288 });
      expect([m.head?.side, ...(m.head?.variants ?? []).map((v) => v.side)].sort((a, b) => (a as number) - (b as number))).toEqual([...FACE_SIDES]);
      expect(m.head?.io?.origin).toBeUndefined();
      expect(m.head?.sha256).not.toBe(m.sha256);
    }
  });

  it('carry their session options, and a manifest with a session option of the wrong kind is refused', () => {
    const { manifest } = builtinModels();
    expect(manifest.session).toEqual({ optimization: 'extended', memoryPattern: false });
    const raw = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
    expect(() => validateManifest({ ...raw, session: { memoryPattern: 'off' } })).toThrow(/session\.memoryPattern/);
    expect(validateManifest({ ...raw, session: { spinning: false } }).session).toEqual({ spinning: false });
    expect(() => validateManifest({ ...raw, session: { spinning: 'off' } })).toThrow(/session\.spinning/);
    expect(() => validateManifest({ ...raw, session: { optimization: 'max' } })).toThrow(/session\.optimization/);
  });
});

describe('the DCT-Net topology model', () => {
  it("has the real generator's size and cost: ~1.47 M parameters, ~131 G multiply-adds at 1024²", () => {
    const { parameters } = buildDctnetTopology();
    // The published generator's count (convolution weights and biases).
    expect(parameters).toBe(1_467_075);
    expect(dctnetMacs(1024, 1024) / 1e9).toBeCloseTo(130.7, 1);
  });

  it('runs as image-to-image on a frame whose sides are a multiple of 4, same weights from the same seed', async () => {
    const first = buildDctnetTopology(7);
    expect(Buffer.from(first.bytes).equals(Buffer.from(buildDctnetTopology(7).bytes))).toBe(true);
    expect(Buffer.from(first.bytes).equals(Buffer.from(buildDctnetTopology(8).bytes))).toBe(false);
    const session = await ort.InferenceSession.create(first.bytes);
    try {
      const input = new Float32Array(3 * 32 * 48).map((_, i) => Math.sin(i) * 0.9);
      const out = await session.run({ image: new ort.Tensor('float32', input, [1, 3, 32, 48]) });
      const cartoon = out.cartoon as ort.Tensor;
      expect(cartoon.dims).toEqual([1, 3, 32, 48]);
      const data = cartoon.data as Float32Array;
      expect(data.every((v) => v >= -1 && v <= 1)).toBe(true);
      expect(new Set(data).size).toBeGreaterThan(100);
    } finally {
      await session.release();
    }
  });
});
