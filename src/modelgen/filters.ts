/**
 * Image filters expressed as ONNX subgraphs over NCHW float tensors: Gaussian blurs, box means,
 * oriented line averages and colour matrices. Borders are reflected or windows cut at the frame's
 * edge, so a filter behaves the same whether or not the frame was tiled.
 */
import type { GraphBuilder } from './GraphBuilder.ts';

/** Reflect-pads the two spatial axes by `r` on every side. */
export function reflectPad(g: GraphBuilder, x: string, r: number): string {
  const pads = g.int64s('pads', [0, 0, r, r, 0, 0, r, r]);
  return g.op('Pad', [x, pads], { mode: 'reflect' });
}

/**
 * Convolves every channel with the same 1-D kernel, horizontally then vertically (depthwise).
 * @param kernel odd length, applied as given (normalise it first for a blur)
 */
function separable(g: GraphBuilder, x: string, kernel: readonly number[], channels: number): string {
  if (kernel.length % 2 !== 1) throw new RangeError(`kernel length must be odd, got ${kernel.length}`);
  const r = (kernel.length - 1) / 2;
  const k = kernel.length;
  const wx = g.tensor('wx', repeat(kernel, channels), [channels, 1, 1, k]);
  const wy = g.tensor('wy', repeat(kernel, channels), [channels, 1, k, 1]);
  const padded = reflectPad(g, x, r);
  const h = g.op('Conv', [padded, wx], { group: channels, kernel_shape: [1, k] });
  return g.op('Conv', [h, wy], { group: channels, kernel_shape: [k, 1] });
}

/** Gaussian blur with standard deviation `sigma`, truncated at 3 sigma. */
export function gaussianBlur(g: GraphBuilder, x: string, sigma: number, channels: number): string {
  return separable(g, x, gaussianKernel(sigma), channels);
}

function gaussianKernel(sigma: number): number[] {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

/** out[o] = Σ_i m[o][i]·x[i] + bias[o], a 1x1 convolution. */
export function colourMatrix(g: GraphBuilder, x: string, m: readonly (readonly number[])[], bias?: readonly number[]): string {
  const out = m.length;
  const inp = m[0]?.length ?? 0;
  const w = g.tensor('cm', m.flat(), [out, inp, 1, 1]);
  const inputs = [x, w];
  if (bias) inputs.push(g.tensor('cb', bias, [out]));
  return g.op('Conv', inputs, { kernel_shape: [1, 1] });
}

function repeat(kernel: readonly number[], times: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < times; i += 1) out.push(...kernel);
  return out;
}

/**
 * Window length from which a box mean is a running sum (CumSum, then the difference of two
 * shifted slices) instead of an AveragePool: onnxruntime's pool adds every tap of the window
 * (a 49-tap pass over a 576² channel took 6.5 ms, a quarter of the face graph), the running sum
 * costs the same at any length. Below it the pool is as fast and exact. The face graphs' pass
 * is 12-14 % faster at 408 and 576 with it; the page graphs keep their time. Float32 running sums
 * along a 2048 px row of L*² (≤ 10⁴) are exact to a few units: the mean of 13 is within half a
 * level² (test/modelgen/filters.test.ts).
 */
const RUNNING_SUM_FROM = 13;

/** Far past any axis's end, for a Slice to the end of it. */
const TO_THE_END = 1 << 30;

/**
 * Mean over [i − before, i + after] along `axis` (2 rows, 3 columns), the window cut at the
 * frame's edge (as AveragePool's count_include_pad = 0): a running sum over the axis padded with
 * one zero more in front, minus itself k places back, over the count of pixels the window holds
 * (the same running sum over ones).
 */
function runningMean(g: GraphBuilder, x: string, axis: 2 | 3, before: number, after: number): string {
  const k = before + after + 1;
  const pads = g.int64s('pads', axis === 3 ? [0, 0, 0, before + 1, 0, 0, 0, after] : [0, 0, before + 1, 0, 0, 0, after, 0]);
  const along = g.int64s('axis', [axis]);
  const windowSums = (v: string): string => {
    const sums = g.op('CumSum', [g.op('Pad', [v, pads]), along]);
    const ahead = g.op('Slice', [sums, g.int64s('s', [k]), g.int64s('e', [TO_THE_END]), along]);
    const behind = g.op('Slice', [sums, g.int64s('s', [0]), g.int64s('e', [-k]), along]);
    return g.op('Sub', [ahead, behind]);
  };
  // One line of ones along the axis: how many of the window's pixels lie inside the frame.
  const other = axis === 3 ? 2 : 3;
  const line = g.op('Slice', [x, g.int64s('s', [0, 0, 0]), g.int64s('e', [1, 1, 1]), g.int64s('a', [0, 1, other])]);
  const ones = g.op('Expand', [g.scalar(1), g.op('Shape', [line])]);
  return g.op('Div', [windowSums(x), windowSums(ones)]);
}

/**
 * Mean over the window [y − top, y + bottom] × [x − left, x + right]: two 1-D passes, rows then
 * columns (a window cut by the frame's edge has a rectangular count, so the two passes give
 * exactly the 2-D mean over what is left of it, tiled or not).
 */
export function boxMean(g: GraphBuilder, x: string, top: number, left: number, bottom: number, right: number): string {
  const pool = (input: string, kernel: [number, number], pads: [number, number, number, number]): string =>
    kernel[0] === 1 && kernel[1] === 1 ? input : g.op('AveragePool', [input], { kernel_shape: kernel, pads, strides: [1, 1], count_include_pad: 0 });
  const cols = left + right + 1 >= RUNNING_SUM_FROM ? runningMean(g, x, 3, left, right) : pool(x, [1, left + right + 1], [0, left, 0, right]);
  if (top + bottom === 0) return cols;
  // A running sum down the columns adds whole rows at a time; it needs no transpose.
  if (top + bottom + 1 >= RUNNING_SUM_FROM) return runningMean(g, cols, 2, top, bottom);
  // The vertical pass runs along rows of the transposed image: a column window read straight down
  // the frame misses the cache on every sample, and is ~10 times slower on a large frame.
  const t = g.op('Transpose', [cols], { perm: [0, 1, 3, 2] });
  return g.op('Transpose', [pool(t, [1, top + bottom + 1], [0, top, 0, bottom])], { perm: [0, 1, 3, 2] });
}

/** The four line directions of {@link orientedLines}, in degrees (x right, y down). */
const LINE_ANGLES = [0, 45, 90, 135] as const;

/**
 * Averages a one-channel image along four directions (see {@link LINE_ANGLES}): one output
 * channel per direction, each a Gaussian of sigma `along` sampled at `taps` points either side,
 * `spacing` pixels apart (a dilated convolution: its cost does not grow with the line's length).
 */
export function orientedLines(g: GraphBuilder, x: string, along: number, taps: number, spacing: number): string {
  const k = 2 * taps + 1;
  const weights: number[] = [];
  for (const angle of LINE_ANGLES) {
    const [dx, dy] = [Math.round(Math.cos((angle * Math.PI) / 180)), Math.round(Math.sin((angle * Math.PI) / 180))];
    const kernel = new Array<number>(k * k).fill(0);
    for (let t = -taps; t <= taps; t += 1) {
      const distance = t * spacing * Math.hypot(dx, dy);
      kernel[(taps + t * dy) * k + (taps + t * dx)] = Math.exp(-(distance * distance) / (2 * along * along));
    }
    const sum = kernel.reduce((a, b) => a + b, 0);
    weights.push(...kernel.map((v) => v / sum));
  }
  const w = g.tensor('lines', weights, [LINE_ANGLES.length, 1, k, k]);
  return g.op('Conv', [reflectPad(g, x, taps * spacing), w], { kernel_shape: [k, k], dilations: [spacing, spacing] });
}
