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

export const DCTNET_CHANNELS = 32;
export const DCTNET_RES_BLOCKS = 4;
export const DCTNET_SIZE_MULTIPLE = 4;

export function buildDctnetTopology(seed = 20220720): { bytes: Uint8Array; parameters: number } {
  const g = new GraphBuilder('dctnet_topology_random');
  const rand = mulberry32(seed);
  const c = DCTNET_CHANNELS;
  let parameters = 0;

  const conv = (x: string, cin: number, cout: number, k: number, stride = 1): string => {
    // He-uniform scaled down so that random activations stay in range through the residual stack.
    const bound = Math.sqrt(6 / (cin * k * k)) * 0.5;
    const w = new Float32Array(cout * cin * k * k);
    for (let i = 0; i < w.length; i += 1) w[i] = (rand() * 2 - 1) * bound;
    const b = new Float32Array(cout);
    parameters += w.length + b.length;
    const p = (k - 1) / 2;
    return g.op('Conv', [x, g.tensor('w', w, [cout, cin, k, k]), g.tensor('b', b, [cout])], {
      kernel_shape: [k, k],
      strides: [stride, stride],
      pads: [p, p, p, p],
    });
  };
  const lrelu = (x: string): string => g.op('LeakyRelu', [x], { alpha: { f: 0.2 } });
  const up2 = (x: string): string =>
    // TF1 resize_bilinear (align_corners and half_pixel_centers off) is ONNX's "asymmetric".
    g.op('Resize', [x, '', g.tensor('scales', [1, 1, 2, 2], [4])], { mode: 'linear', coordinate_transformation_mode: 'asymmetric' });

  const input = g.input('image', [1, 3, 'height', 'width']);
  const x0 = lrelu(conv(input, 3, c, 7));
  const x1 = lrelu(conv(lrelu(conv(x0, c, c, 3, 2)), c, 2 * c, 3));
  let x2 = lrelu(conv(lrelu(conv(x1, 2 * c, 2 * c, 3, 2)), 2 * c, 4 * c, 3));
  for (let i = 0; i < DCTNET_RES_BLOCKS; i += 1) {
    x2 = g.op('Add', [x2, conv(lrelu(conv(x2, 4 * c, 4 * c, 3)), 4 * c, 4 * c, 3)]);
  }
  x2 = lrelu(conv(x2, 4 * c, 2 * c, 3));
  const x3 = lrelu(conv(lrelu(conv(g.op('Add', [up2(x2), x1]), 2 * c, 2 * c, 3)), 2 * c, c, 3));
  const x4 = conv(lrelu(conv(g.op('Add', [up2(x3), x0]), c, c, 3)), c, 3, 7);
  g.output(g.op('Clip', [x4, g.scalar(-1), g.scalar(1)]), 'cartoon', [1, 3, 'height', 'width']);
  return { bytes: g.toBytes('DCT-Net generator topology with seeded random weights (benchmark only)'), parameters };
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
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
