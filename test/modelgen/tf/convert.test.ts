import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildDctnetModel, dctnetWeights } from '../../../src/modelgen/dctnetTopology.ts';
import { ConversionError, convertFrozenGraph } from '../../../src/modelgen/tf/convert.ts';
import { DT } from '../../../src/modelgen/tf/graphdef.ts';
import { fixture } from '../../helpers.ts';
import { dctnetFrozenGraph, GraphWriter, shape, type Variant } from './frozenGraph.ts';

const f32 = { type: DT.FLOAT };

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run(feeds);
    return out[session.outputNames[0] as string] as ort.Tensor;
  } finally {
    await session.release();
  }
}

describe('TensorFlow ops against hand-computed cases', () => {
  it('Conv2D with SAME padding and stride 2 pads only at the bottom/right on even sizes', async () => {
    const t = new GraphWriter();
    const x = t.node('Placeholder', [], { dtype: f32, shape: { shape: shape([1, 4, 4, 1]) } }, 'x');
    const w = t.floats(new Float32Array(9).fill(1), [3, 3, 1, 1]);
    t.node('Conv2D', [x, w], { T: f32, strides: { list: { i: [1, 2, 2, 1] } }, padding: { s: Buffer.from('SAME') }, data_format: { s: Buffer.from('NHWC') } }, 'y');
    const { bytes } = convertFrozenGraph(t.encode());
    const input = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const out = await run(bytes, { x: new ort.Tensor('float32', input, [1, 1, 4, 4]) });
    // Windows start at rows/cols 0 and 2; the last one runs one pixel past the edge (zero).
    expect(Array.from(out.data as Float32Array)).toEqual([54, 45, 72, 54]);
  });

  it('ResizeBilinear (align_corners and half_pixel_centers off) samples at out/scale, clamped', async () => {
    const t = new GraphWriter();
    const x = t.node('Placeholder', [], { dtype: f32, shape: { shape: shape([1, 2, 2, 1]) } }, 'x');
    t.node('ResizeBilinear', [x, t.ints([4, 4])], { T: f32, align_corners: { b: false }, half_pixel_centers: { b: false } }, 'y');
    const out = await run(convertFrozenGraph(t.encode()).bytes, { x: new ort.Tensor('float32', Float32Array.from([0, 1, 2, 3]), [1, 1, 2, 2]) });
    expect(Array.from(out.data as Float32Array)).toEqual([0, 0.5, 1, 1, 1, 1.5, 2, 2, 2, 2.5, 3, 3, 2, 2.5, 3, 3]);
  });

  it("the guided filter's N = box(ones) is 4/9 in corners, 6/9 on edges, 1 inside", async () => {
    const t = new GraphWriter('tensor_content');
    const x = t.node('Placeholder', [], { dtype: f32, shape: { shape: shape([1, 3, 4, 1]) } }, 'x');
    const xs = t.node('Shape', [x], { T: f32, out_type: { type: DT.INT32 } });
    const dim = (i: number) => t.node('StridedSlice', [xs, t.ints([i]), t.ints([i + 1]), t.ints([1])], { T: { type: DT.INT32 }, shrink_axis_mask: { i: 1 } });
    const dims = t.node('Pack', [t.ints([1], []), dim(1), dim(2), t.ints([1], [])], { N: { i: 4 }, axis: { i: 0 } });
    const ones = t.node('Fill', [dims, t.floats([1], [])], { T: f32 });
    const n = t.node('DepthwiseConv2dNative', [ones, t.floats(new Float32Array(9).fill(1 / 9), [3, 3, 1, 1])], { T: f32, strides: { list: { i: [1, 1, 1, 1] } }, padding: { s: Buffer.from('SAME') } });
    t.node('Add', [t.node('Mul', [x, t.floats([0], [])], { T: f32 }), n], { T: f32 }, 'y');
    const out = await run(convertFrozenGraph(t.encode()).bytes, { x: new ort.Tensor('float32', new Float32Array(12), [1, 1, 3, 4]) });
    const got = Array.from(out.data as Float32Array, (v) => Math.round(v * 9));
    expect(got).toEqual([4, 6, 6, 4, 6, 9, 9, 6, 4, 6, 6, 4]);
  });
});

describe('converting the DCT-Net graph', () => {
  // Weights 1.5x the seeded ones, so that the generator, not the guided filter, shapes the
  // output: with them a half-pixel instead of asymmetric resize moves pixels by 17 levels.
  const weights = dctnetWeights(11).map((l) => ({ ...l, w: l.w.map((v) => v * 1.5) }));
  const variants: Variant[] = [
    { leaky: 'op', add: 'Add', scalars: 'float_val' },
    { batch: 'newaxis', leaky: 'mul-max', add: 'AddV2', scalars: 'tensor_content' },
    { leaky: 'op', add: 'AddV2', scalars: 'tensor_content' },
  ];

  it.each(variants)('matches the directly written model within one grey level on a real photo (%o)', async (variant) => {
    const converted = convertFrozenGraph(dctnetFrozenGraph(weights, variant));
    expect(converted.inputs).toEqual([{ name: 'input_image', tf: 'input_image', dims: [1, 3, 'height', 'width'] }]);
    expect(converted.outputs).toEqual([{ name: 'output_image', tf: 'output_image', dtype: 'uint8' }]);
    expect(converted.ops.Conv2D).toBe(18);

    // The photo as the official pipeline feeds it: BGR, 0..255, here NCHW.
    const [w, h] = [128, 96];
    const rgb = await sharp(fixture('astronaut.png')).resize(w, h, { fit: 'fill' }).raw().toBuffer();
    const bgr = new Float32Array(3 * w * h);
    for (let p = 0; p < w * h; p += 1) for (let c = 0; c < 3; c += 1) bgr[(2 - c) * w * h + p] = rgb[p * 3 + c] as number;
    const feed = { input_image: new ort.Tensor('float32', bgr, [1, 3, h, w]) };
    const fromTf = await run(converted.bytes, feed);
    const direct = await run(buildDctnetModel(weights), feed);
    expect(fromTf.type).toBe('uint8');
    expect(fromTf.dims).toEqual([1, 3, h, w]);
    const a = fromTf.data as Uint8Array;
    const b = direct.data as Uint8Array;
    let worst = 0;
    for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    expect(worst).toBeLessThanOrEqual(1);
    // Not a constant picture: the comparison means something.
    expect(new Set(a).size).toBeGreaterThan(200);
  });

  it('fails on ops it does not know, naming each one, and guesses nothing', () => {
    const t = new GraphWriter();
    const x = t.node('Placeholder', [], { dtype: f32, shape: { shape: shape([-1, -1, 3]) } }, 'input_image');
    const s = t.node('Softplus', [x], { T: f32 }, 'act/Softplus');
    t.node('Tanh', [s], { T: f32 }, 'act/Tanh');
    let error: unknown;
    try {
      convertFrozenGraph(t.encode());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConversionError);
    expect((error as ConversionError).message).toMatch(/^Unsupported TensorFlow ops: Softplus, Tanh \(in act\/Softplus \[Softplus\], act\/Tanh \[Tanh\]\)/);
    expect((error as ConversionError).unsupported).toEqual([
      { node: 'act/Softplus', op: 'Softplus' },
      { node: 'act/Tanh', op: 'Tanh' },
    ]);
  });
});
