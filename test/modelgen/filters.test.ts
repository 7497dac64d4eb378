/**
 * The graphs' box mean against a mean taken pixel by pixel: short windows are pooled, long ones
 * are running sums (filters.ts), and both must give the mean over the window cut at the frame's
 * edge, at the sizes and value ranges the looks use. And the sum over channels (a Split and a
 * Sum, styleLayers.ts) against onnxruntime's own ReduceSum, which it replaces.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { boxMean } from '../../src/modelgen/filters.ts';
import { GraphBuilder } from '../../src/modelgen/GraphBuilder.ts';
import { sumChannels } from '../../src/modelgen/styleLayers.ts';

interface Window {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

async function graphMean(x: Float32Array, dims: [number, number, number, number], w: Window): Promise<Float32Array> {
  const g = new GraphBuilder('box');
  const input = g.input('x', ['n', 'c', 'h', 'w']);
  g.output(boxMean(g, input, w.top, w.left, w.bottom, w.right), 'y', ['n', 'c', 'h', 'w']);
  const session = await ort.InferenceSession.create(g.toBytes());
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
    expect(out.y?.dims).toEqual(dims);
    return out.y?.data as Float32Array;
  } finally {
    await session.release();
  }
}

function bruteMean(x: Float32Array, [, c, h, width]: [number, number, number, number], w: Window): Float32Array {
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch += 1)
    for (let y = 0; y < h; y += 1)
      for (let i = 0; i < width; i += 1) {
        let sum = 0;
        let n = 0;
        for (let yy = Math.max(0, y - w.top); yy <= Math.min(h - 1, y + w.bottom); yy += 1)
          for (let xx = Math.max(0, i - w.left); xx <= Math.min(width - 1, i + w.right); xx += 1) {
            sum += x[(ch * h + yy) * width + xx] as number;
            n += 1;
          }
        out[(ch * h + y) * width + i] = sum / n;
      }
  return out;
}

/** Deterministic values in [0, scale): smooth ramps with noise, like an image channel. */
function values(length: number, scale: number): Float32Array {
  let seed = 7;
  return Float32Array.from({ length }, (_, i) => {
    seed = (seed * 16807) % 2147483647;
    return (((i % 97) / 97) * 0.7 + (seed / 2147483647) * 0.3) * scale;
  });
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('boxMean', () => {
  it.each([
    ['a short window, pooled', { top: 2, left: 3, bottom: 2, right: 1 }],
    ['a long window, running sums', { top: 24, left: 24, bottom: 24, right: 24 }],
    ['a long one-sided window (a quadrant)', { top: 0, left: 30, bottom: 20, right: 0 }],
    ['a window longer than the frame', { top: 40, left: 80, bottom: 40, right: 80 }],
  ])('%s: the mean over the window cut at the frame edge', async (_name, w) => {
    const dims: [number, number, number, number] = [1, 2, 37, 61];
    const x = values(2 * 37 * 61, 100);
    expect(maxDifference(await graphMean(x, dims, w), bruteMean(x, dims, w))).toBeLessThan(1e-3);
  });

  it('keeps long windows exact enough over a 2048 px row of squared L* values', async () => {
    // The largest running sums the looks take: squares of L* (up to 10⁴) along a 2048 px output.
    const dims: [number, number, number, number] = [1, 1, 3, 2048];
    const x = values(3 * 2048, 100 * 100);
    const w = { top: 0, left: 6, bottom: 0, right: 6 };
    const difference = maxDifference(await graphMean(x, dims, w), bruteMean(x, dims, w));
    // Float32 sums of up to 2·10⁷ are exact to a few units: under half a level² on means of
    // thousands, so a standard deviation taken from them is off by under 0.7 of a level of L*.
    expect(difference).toBeLessThan(0.5);
  });
});

describe('sumChannels', () => {
  it.each([2, 3, 8])('gives what ReduceSum over the channels gives, %i channels', async (count) => {
    const dims: [number, number, number, number] = [1, count, 19, 23];
    const x = values(count * 19 * 23, 100);
    const g = new GraphBuilder('sum');
    const input = g.input('x', ['n', 'c', 'h', 'w']);
    g.output(sumChannels(g, input, count), 'ours', ['n', 1, 'h', 'w']);
    g.output(g.op('ReduceSum', [input, g.int64s('axes', [1])], { keepdims: 1 }), 'theirs', ['n', 1, 'h', 'w']);
    const session = await ort.InferenceSession.create(g.toBytes());
    try {
      const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
      expect(out.ours?.dims).toEqual([1, 1, 19, 23]);
      const ours = out.ours?.data as Float32Array;
      expect(maxDifference(ours, out.theirs?.data as Float32Array)).toBeLessThan(1e-4);
      // And not a constant: the first pixel is the sum of its channels.
      expect(ours[0]).toBeCloseTo(
        Array.from({ length: count }, (_, c) => x[c * 19 * 23] as number).reduce((a, b) => a + b),
        3,
      );
    } finally {
      await session.release();
    }
  });
});
