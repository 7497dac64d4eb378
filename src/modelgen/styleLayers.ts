/**
 * The layers the built-in looks are drawn with, as ONNX subgraphs: CIELab conversion, a
 * generalised Kuwahara filter, gradients, pooling and the small arithmetic helpers between them.
 * Each takes and returns tensor names of a GraphBuilder; no weights, only plain operators.
 */
import type { GraphBuilder } from './GraphBuilder.ts';
import { boxMean, colourMatrix, reflectPad } from './filters.ts';

// sRGB (gamma 2.2 approximation) ↔ XYZ normalised to D65 white, so that grey maps to a* = b* = 0.
const RGB_TO_XYZ = [
  [0.4124564 / 0.95047, 0.3575761 / 0.95047, 0.1804375 / 0.95047],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339 / 1.08883, 0.119192 / 1.08883, 0.9503041 / 1.08883],
];
const GAMMA = 2.2;
/** Keeps the cube root's slope finite at black (an offset removed again on the way back). */
const CBRT_OFFSET = 1e-4;

/**
 * x^k for x ≥ 0 as exp(k·ln x): onnxruntime's CPU Pow calls pow() per element (13 ms for a
 * 3×1024² tensor here), Exp and Log are vectorised (6 ms for both, the same result within 6e-8;
 * 0 stays 0 for k > 0). The colour conversions run it three times per pixel (docs/BENCHMARKS.md).
 */
function power(g: GraphBuilder, x: string, k: number): string {
  return g.op('Exp', [g.op('Mul', [g.op('Log', [x]), g.scalar(k)])]);
}

export function rgbToLab(g: GraphBuilder, rgb: string): string {
  const lin = power(g, g.op('Clip', [rgb, g.scalar(0), g.scalar(1)]), GAMMA);
  const xyz = colourMatrix(g, lin, RGB_TO_XYZ, [CBRT_OFFSET, CBRT_OFFSET, CBRT_OFFSET]);
  const f = power(g, xyz, 1 / 3);
  return colourMatrix(
    g,
    f,
    [
      [0, 116, 0],
      [500, -500, 0],
      [0, 200, -200],
    ],
    [-16, 0, 0],
  );
}

export function labToRgb(g: GraphBuilder, lab: string): string {
  // fy = (L + 16)/116, fx = fy + a/500, fz = fy − b/200.
  const f = colourMatrix(
    g,
    lab,
    [
      [1 / 116, 1 / 500, 0],
      [1 / 116, 0, 0],
      [1 / 116, 0, -1 / 200],
    ],
    [16 / 116, 16 / 116, 16 / 116],
  );
  const xyz = g.op('Sub', [g.op('Mul', [g.op('Mul', [f, f]), f]), g.scalar(CBRT_OFFSET)]);
  const lin = colourMatrix(g, xyz, invert3(RGB_TO_XYZ));
  return power(g, g.op('Clip', [lin, g.scalar(0), g.scalar(1)]), 1 / GAMMA);
}

/**
 * Generalised Kuwahara filter: the mean of four quadrant windows (radius r), each weighted by
 * (variance + eps)^-sharpness, variance summed over L*, a* and b*.
 */
export function kuwahara(g: GraphBuilder, lab: string, r: number, sharpness: number, eps: number, spread: number): string {
  // Channels L*, a*, b* and L*² + a*² + b²: the windows' means give their summed variance.
  const both = g.op('Concat', [lab, sumChannels(g, g.op('Mul', [lab, lab]), 3)], { axis: 1 });
  const h = Math.max(1, Math.floor(r / 2));
  // Four quadrants and four half-planes as (rows above, below) then (columns left, right); the
  // row passes are shared between windows.
  const rowExtents = [
    [r, 0],
    [0, r],
    [h, h],
  ] as const;
  const windows = [
    [0, r, 0],
    [0, 0, r],
    [1, r, 0],
    [1, 0, r],
    [0, h, h],
    [2, 0, r],
    [1, h, h],
    [2, r, 0],
  ] as const;
  const rows = rowExtents.map(([top, bottom]) => boxMean(g, both, top, 0, bottom, 0));
  const means: string[] = [];
  const weights: string[] = [];
  for (const [row, left, right] of windows) {
    const m = boxMean(g, rows[row] as string, 0, left, 0, right);
    const mean = channels(g, m, 0, 3);
    const variance = g.op('Sub', [channels(g, m, 3, 4), sumChannels(g, g.op('Mul', [mean, mean]), 3)]);
    means.push(mean);
    const v = g.op('Add', [g.op('Relu', [variance]), g.scalar(eps)]);
    // (v)^-2 as 1/(v·v): onnxruntime's Pow was the graphs' costliest operator (profiled, issue 36).
    weights.push(sharpness === 2 ? g.op('Reciprocal', [g.op('Mul', [v, v])]) : g.op('Pow', [v, g.scalar(-sharpness)]));
  }
  // The choice between windows is smoothed a little, so that neighbours choose alike (the square
  // blocks of a plain Kuwahara filter come from neighbours choosing differently).
  const w = g.op('Concat', weights, { axis: 1 });
  const wn = g.op('Div', [w, sumChannels(g, w, windows.length)]);
  const sp = Math.round(r * spread);
  const ws = sp > 0 ? boxMean(g, wn, sp, sp, sp, sp) : wn;
  let num = '';
  for (const [i, mean] of means.entries()) {
    const term = g.op('Mul', [mean, channels(g, ws, i, i + 1)]);
    num = num ? g.op('Add', [num, term]) : term;
  }
  return g.op('Div', [num, sumChannels(g, ws, windows.length)]);
}

/**
 * The sum over the `count` channels of x, [1, 1, H, W]: a Split and one Sum of its parts.
 * onnxruntime's ReduceSum over the channel axis walks the tensor with a stride: on one thread here
 * the face graph at 288² ran 47.6 → 37.8 ms with this, the whole frame's at 1024 238 → 213 ms
 * (docs/BENCHMARKS.md, "Cost"). Two nodes, not a Slice or an Add per channel: a session's opening
 * time grows faster than its node count (onnxruntime plans each look's memory in one pass).
 */
export function sumChannels(g: GraphBuilder, x: string, count: number): string {
  return g.op('Sum', g.ops('Split', [x], count, { axis: 1 }));
}

export function channels(g: GraphBuilder, x: string, from: number, to: number): string {
  return g.op('Slice', [x, g.int64s('s', [from]), g.int64s('e', [to]), g.int64s('a', [1])]);
}

/** a + (b − a)·t */
export function lerp(g: GraphBuilder, a: string, b: string, t: string): string {
  return g.op('Add', [a, g.op('Mul', [g.op('Sub', [b, a]), t])]);
}

/** clip((x − from)/(to − from), 0, 1). */
export function unit(g: GraphBuilder, x: string, from: number, to: number): string {
  const t = g.op('Div', [g.op('Sub', [x, g.scalar(from)]), g.scalar(to - from)]);
  return g.op('Clip', [t, g.scalar(0), g.scalar(1)]);
}

/** Central differences (Sobel, /8): [∂/∂x, ∂/∂y] of a one-channel image, edges reflected. */
export function sobel(g: GraphBuilder, x: string): string {
  const kx = [-1, 0, 1, -2, 0, 2, -1, 0, 1].map((v) => v / 8);
  const ky = [-1, -2, -1, 0, 0, 0, 1, 2, 1].map((v) => v / 8);
  return g.op('Conv', [reflectPad(g, x, 1), g.tensor('sobel', [...kx, ...ky], [2, 1, 3, 3])], { kernel_shape: [3, 3] });
}

/** |∇x| of a one-channel image. */
export function gradientMagnitude(g: GraphBuilder, x: string): string {
  const d = sobel(g, x);
  return g.op('Sqrt', [g.op('Add', [sumChannels(g, g.op('Mul', [d, d]), 2), g.scalar(1e-6)])]);
}

/** Mean over a (2r+1)² window, twice: close to a Gaussian of sigma ≈ 0.8·r, at box cost. */
export function softPool(g: GraphBuilder, x: string, r: number): string {
  return boxMean(g, boxMean(g, x, r, r, r, r), r, r, r, r);
}

function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [h, i, kk]] = m as [[number, number, number], [number, number, number], [number, number, number]];
  const det = a * (e * kk - f * i) - b * (d * kk - f * h) + c * (d * i - e * h);
  return [
    [(e * kk - f * i) / det, (c * i - b * kk) / det, (b * f - c * e) / det],
    [(f * h - d * kk) / det, (a * kk - c * h) / det, (c * d - a * f) / det],
    [(d * i - e * h) / det, (b * h - a * i) / det, (a * e - b * d) / det],
  ];
}

/**
 * Pixel counts (1, 2, 3, ...) of a [1, C, H, W] tensor along its width, as a row [1, 1, 1, W] ('x'),
 * or along its height, as a column [1, 1, H, 1] ('y'): coordinates that broadcast wherever they
 * meet, with no full-size coordinate planes.
 */
export function pixelCount(g: GraphBuilder, like: string, along: 'x' | 'y'): string {
  const [slice, count] = along === 'x' ? [2, 3] : [3, 2];
  const first = g.op('Slice', [like, g.int64s('s', [0]), g.int64s('e', [1]), g.int64s('a', [slice])]);
  const ones = g.op('Add', [g.op('Mul', [first, g.scalar(0)]), g.scalar(1)]);
  return g.op('CumSum', [ones, g.int64s('axis', [count])]);
}
