/**
 * One look out of the built-in graphs that hold every look (src/engine/branch.ts): the same output
 * as the combined graph with that look picked, byte for byte, without the look input; and an
 * engine whose styles open their own look alone (RuntimeConfig.sharedLooks off, as the CLI runs)
 * draws what the default engine draws.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBranch } from '../../src/engine/branch.ts';
import { createEngine, DEFAULT_MODELS_DIR, type Engine } from '../../src/engine/expert.ts';
import { buildFaceStyle } from '../../src/modelgen/faceStyle.ts';
import { fixture } from '../helpers.ts';

const model = (file: string) => readFileSync(path.join(DEFAULT_MODELS_DIR, file));
const OPTIONS: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'extended', enableMemPattern: false };

/** A deterministic photo-like pattern, side² RGB. */
const pattern = (side: number) => new Uint8Array(side * side * 3).map((_, i) => (i * 7919 + ((i / 3 / side) | 0) * 13) % 251);

async function run(session: ort.InferenceSession, side: number, look?: number): Promise<Uint8Array> {
  const feeds: Record<string, ort.Tensor> = { image: new ort.Tensor('uint8', pattern(side), [1, side, side, 3]), strength: new ort.Tensor('float32', [0.7], [1]) };
  if (session.inputNames.includes('origin')) feeds.origin = new ort.Tensor('float32', [0, 0], [2]);
  if (session.inputNames.includes('placement')) feeds.placement = new ort.Tensor('float32', [0.9, 0.1, 5, 7, 1], [5]);
  if (look !== undefined) feeds.look = new ort.Tensor('int64', BigInt64Array.of(BigInt(look)), []);
  return (await session.run(feeds)).cartoon?.data as Uint8Array;
}

describe('one look out of the graph of every look', () => {
  // The smallest whole-frame graph and a face graph with shared (hoisted) nodes and manga's placement.
  // A look alone keeps at most this share of the bytes: a face graph's looks share most of their
  // nodes (hoisted: 0.64-0.71 of it is one look's), the whole-frame graph's far fewer (0.23-0.26).
  for (const [file, side, share] of [
    ['looks-256.onnx', 80, 0.4],
    ['faces-144.onnx', 144, 0.8],
  ] as const) {
    it(`${file}: each look alone draws what the combined graph draws with that look picked`, async () => {
      const bytes = model(file);
      const combined = await ort.InferenceSession.create(bytes, OPTIONS);
      try {
        // 4 is no look's: the combined graph runs the chain's last, and so does the branch picked.
        for (const look of [0, 1, 2, 3, 4]) {
          const alone = selectBranch(bytes, 'look', look);
          expect(alone, `look ${look}`).toBeInstanceOf(Uint8Array);
          // The other looks' nodes and weights are gone (a face graph's shared part stays).
          expect((alone as Uint8Array).length).toBeLessThan(bytes.length * share);
          const session = await ort.InferenceSession.create(alone as Uint8Array, OPTIONS);
          try {
            expect(session.inputNames).not.toContain('look');
            expect(Buffer.from(await run(session, side)).equals(Buffer.from(await run(combined, side, look))), `look ${look}`).toBe(true);
          } finally {
            await session.release();
          }
        }
      } finally {
        await combined.release();
      }
    });
  }

  it('leaves a graph that is not a combination of looks to the caller', () => {
    expect(selectBranch(buildFaceStyle(72, 'toon'), 'look', 0)).toBeUndefined();
    expect(selectBranch(model('looks-256.onnx'), 'style', 0)).toBeUndefined();
  });
});

describe('an engine whose styles open their own look alone', () => {
  let shared: Engine;
  let alone: Engine;
  beforeAll(async () => {
    [shared, alone] = await Promise.all([createEngine(), createEngine({ runtime: { sharedLooks: false } })]);
  });
  afterAll(async () => {
    await Promise.all([shared?.close(), alone?.close()]);
  });

  it('draws the same pictures, face pass included, in each look it is asked for', async () => {
    const image = fixture('astronaut.png');
    for (const style of ['sketch', 'toon']) {
      const options = { style, resolution: 384, format: 'png' as const };
      const [a, b] = await Promise.all([shared.submit({ image, options }), alone.submit({ image, options })]);
      expect(b.portrait?.faces, style).toBe(1);
      expect(Buffer.from(b.image).equals(Buffer.from(a.image)), style).toBe(true);
    }
  });
});
