/**
 * The exact DCT-Net generator topology (the UNet DCT-Net shares with White-box Cartoonization),
 * with seeded random weights. It draws noise, not art, and is never offered as a style: it exists
 * so that benchmarks run the real model's arithmetic (~1.47 M parameters, ~131 G multiply-adds at
 * 1024x1024).
 *
 *   x0 = lrelu(conv7(in, 32))                       full resolution
 *   x1 = lrelu(conv3(lrelu(conv3/2(x0, 32)), 64))   1/2
 *   x2 = lrelu(conv3(lrelu(conv3/2(x1, 64)), 128))  1/4, then 4 residual blocks
 *   x2 = lrelu(conv3(x2, 64))
 *   x3 = lrelu(conv3(lrelu(conv3(up2(x2) + x1, 64)), 32))
 *   out = conv7(lrelu(conv3(up2(x3) + x0, 32)), 3)
 *
 * Input and output: float32 NCHW RGB in [-1, 1]; sides a multiple of 4.
 */
import { GraphBuilder } from './GraphBuilder.ts';

const DCTNET_CHANNELS = 32;
const DCTNET_RES_BLOCKS = 4;
export const DCTNET_SIZE_MULTIPLE = 4;

/** One convolution of the generator, weights in TensorFlow's HWIO order as DCT-Net stores them. */
export interface ConvWeights {
  k: number;
  cin: number;
  cout: number;
  stride: number;
  /** [k, k, cin, cout] */
  w: Float32Array;
  b: Float32Array;
}

/** The generator's 18 convolutions, in graph order, with seeded random weights. */
export function dctnetWeights(seed = 20220720): ConvWeights[] {
  const rand = mulberry32(seed);
  const c = DCTNET_CHANNELS;
  const layers: [number, number, number, number][] = [
    [7, 3, c, 1],
    [3, c, c, 2],
    [3, c, 2 * c, 1],
    [3, 2 * c, 2 * c, 2],
    [3, 2 * c, 4 * c, 1],
    ...Array.from({ length: 2 * DCTNET_RES_BLOCKS }, () => [3, 4 * c, 4 * c, 1] as [number, number, number, number]),
    [3, 4 * c, 2 * c, 1],
    [3, 2 * c, 2 * c, 1],
    [3, 2 * c, c, 1],
    [3, c, c, 1],
    [7, c, 3, 1],
  ];
  return layers.map(([k, cin, cout, stride]) => {
    // He-uniform scaled down so that random activations stay in range through the residual stack.
    const bound = Math.sqrt(6 / (cin * k * k)) * 0.5;
    const w = new Float32Array(k * k * cin * cout);
    for (let i = 0; i < w.length; i += 1) w[i] = (rand() * 2 - 1) * bound;
    const bias = new Float32Array(cout);
    for (let i = 0; i < cout; i += 1) bias[i] = (rand() * 2 - 1) * 0.01;
    return { k, cin, cout, stride, w, b: bias };
  });
}

export function buildDctnetTopology(seed = 20220720): { bytes: Uint8Array; parameters: number } {
  const weights = dctnetWeights(seed);
  const g = new GraphBuilder('dctnet_topology_random');
  const input = g.input('image', [1, 3, 'height', 'width']);
  const out = generator(g, input, weights);
  g.output(g.op('Clip', [out, g.scalar(-1), g.scalar(1)]), 'cartoon', [1, 3, 'height', 'width']);
  const parameters = weights.reduce((n, l) => n + l.w.length + l.b.length, 0);
  return { bytes: g.toBytes('DCT-Net generator topology with seeded random weights (benchmark only)'), parameters };
}

/**
 * The whole DCT-Net head/background model as the official frozen graphs compute it, written
 * directly (not converted): BGR 0..255 in, x/127.5 - 1, the generator, a guided filter (r 1,
 * eps 1e-2, zero-padded box normalised by N), clip to ±0.999999, (v+1)·127.5, truncating cast to
 * uint8. NCHW in and out. It is the reference the TensorFlow converter is checked against.
 * Sides must be even (the engine pads frames to a multiple of 16).
 */
export function buildDctnetModel(weights: readonly ConvWeights[]): Uint8Array {
  const g = new GraphBuilder('dctnet_reference');
  const input = g.input('input_image', [1, 3, 'height', 'width']);
  const x = g.op('Sub', [g.op('Div', [input, g.scalar(127.5)]), g.scalar(1)]);
  const y = generator(g, x, weights);
  const box = (z: string, ch: number) => g.op('Conv', [z, g.tensor('box', new Float32Array(ch * 9).fill(1 / 9), [ch, 1, 3, 3])], { group: ch, kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const ones = g.op('Add', [g.op('Mul', [g.op('Slice', [x, g.int64s('s', [0]), g.int64s('e', [1]), g.int64s('a', [1])]), g.scalar(0)]), g.scalar(1)]);
  const n = box(ones, 1);
  const mean = (z: string) => g.op('Div', [box(z, 3), n]);
  const mx = mean(x);
  const my = mean(y);
  const cov = g.op('Sub', [mean(g.op('Mul', [x, y])), g.op('Mul', [mx, my])]);
  const variance = g.op('Sub', [mean(g.op('Mul', [x, x])), g.op('Mul', [mx, mx])]);
  const a = g.op('Div', [cov, g.op('Add', [variance, g.scalar(1e-2)])]);
  const b = g.op('Sub', [my, g.op('Mul', [a, mx])]);
  const filtered = g.op('Add', [g.op('Mul', [mean(a), x]), mean(b)]);
  const clipped = g.op('Clip', [filtered, g.scalar(-0.999999), g.scalar(0.999999)]);
  const pixels = g.op('Mul', [g.op('Add', [clipped, g.scalar(1)]), g.scalar(127.5)]);
  g.output(g.op('Cast', [pixels], { to: 2 }), 'output_image', [1, 3, 'height', 'width'], 'uint8');
  return g.toBytes('DCT-Net model written directly (reference for the TensorFlow converter)');
}

/** The UNet: conv layers from `weights` (HWIO), LeakyReLU 0.2, bilinear x2 (TF1 asymmetric). */
function generator(g: GraphBuilder, input: string, weights: readonly ConvWeights[]): string {
  let next = 0;
  const conv = (x: string): string => {
    const l = weights[next++];
    if (!l) throw new RangeError('not enough layers for the DCT-Net generator');
    const oihw = new Float32Array(l.w.length);
    for (let y = 0; y < l.k; y += 1)
      for (let xx = 0; xx < l.k; xx += 1)
        for (let i = 0; i < l.cin; i += 1) for (let o = 0; o < l.cout; o += 1) oihw[((o * l.cin + i) * l.k + y) * l.k + xx] = l.w[((y * l.k + xx) * l.cin + i) * l.cout + o] as number;
    const p = (l.k - 1) / 2;
    // TensorFlow's SAME with stride 2 on an even side pads one pixel, at the bottom/right only.
    const pads = l.stride === 2 ? [0, 0, 1, 1] : [p, p, p, p];
    return g.op('Conv', [x, g.tensor('w', oihw, [l.cout, l.cin, l.k, l.k]), g.tensor('b', l.b, [l.cout])], { kernel_shape: [l.k, l.k], strides: [l.stride, l.stride], pads });
  };
  const lrelu = (x: string): string => g.op('LeakyRelu', [x], { alpha: { f: 0.2 } });
  // TF1 resize_bilinear (align_corners and half_pixel_centers off) is ONNX's "asymmetric".
  const up2 = (x: string): string => g.op('Resize', [x, '', g.tensor('scales', [1, 1, 2, 2], [4])], { mode: 'linear', coordinate_transformation_mode: 'asymmetric' });

  const x0 = lrelu(conv(input));
  const x1 = lrelu(conv(lrelu(conv(x0))));
  let x2 = lrelu(conv(lrelu(conv(x1))));
  for (let i = 0; i < DCTNET_RES_BLOCKS; i += 1) x2 = g.op('Add', [x2, conv(lrelu(conv(x2)))]);
  x2 = lrelu(conv(x2));
  const x3 = lrelu(conv(lrelu(conv(g.op('Add', [up2(x2), x1])))));
  return conv(lrelu(conv(g.op('Add', [up2(x3), x0]))));
}

/** Multiply-adds of one forward pass at height x width (convolutions only). */
export function dctnetMacs(height: number, width: number): number {
  const c = DCTNET_CHANNELS;
  const full = height * width;
  const half = full / 4;
  const quarter = full / 16;
  const k3 = 9;
  const k7 = 49;
  return (
    full * 3 * c * k7 +
    half * (c * c * k3 + c * 2 * c * k3) +
    quarter * (2 * c * 2 * c * k3 + 2 * c * 4 * c * k3) +
    quarter * DCTNET_RES_BLOCKS * 2 * (4 * c) ** 2 * k3 +
    quarter * 4 * c * 2 * c * k3 +
    half * (2 * c * 2 * c * k3 + 2 * c * c * k3) +
    full * (c * c * k3 + c * 3 * k7)
  );
}

/** Small, fast, seedable PRNG (public domain), so the weights are the same on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
