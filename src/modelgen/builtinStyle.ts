/**
 * The built-in "toon" style: image abstraction after Winnemöller, Olsen and Gooch (*Real-Time Video
 * Abstraction*, 2006) and Kang, Lee and Chui (*Coherent Line Drawing*, 2007), written as an ONNX
 * graph of plain operators, so that a fresh clone has a real style with no downloaded weights.
 *
 *   photo ─ CIELab ─ Kuwahara ─┬─ Kuwahara ─ blend by strength = flat colours
 *                              │       ├─ L* ─ soft luminance steps (sharp on edges, gentle on gradients)
 *                              │       └─ a*b* · gain (smooth, never stepped)
 *                              └─ L* ─ DoG ─ smoothed along the edge tangent ─ soft threshold = ink
 *   L* steps, a*b*, ink ─ sRGB
 *
 * - The smoother is a generalised Kuwahara filter (Papari et al.'s soft weighting of box sectors):
 *   each pixel takes the variance-weighted mean of the windows around it, so it flattens texture
 *   and never blurs across an edge (no halo). Its windows are box means: constant cost per pixel.
 * - Only luminance is quantised, with tanh steps whose sharpness follows the local gradient:
 *   crisp where there is an edge, almost linear on a smooth gradient (no rings).
 * - Ink is the dark side of a difference of Gaussians on the flattened luminance, averaged along
 *   the local edge direction (four oriented line kernels blended by the structure tensor), so lines
 *   are long and connected while isolated specks fade below the threshold.
 *
 * Every radius is `reference px × scale`, where scale = output long side / 1024: the engine picks
 * the graph built for the output size, so a 512 and a 2048 result look alike at the same size.
 * Strength is an input: it sets how far the abstraction goes (smoothing passes, luminance steps,
 * ink weight), not a mix with the photo.
 *
 * Input: float32 NCHW RGB in [0, 1] ("image") and the strength in (0, 1] ("strength", shape [1]).
 * Output: the cartoon, same layout and range.
 */
import { GraphBuilder } from './GraphBuilder.ts';
import { boxMean, colourMatrix, gaussianBlur, orientedLines, reflectPad } from './filters.ts';

export const BUILTIN_STYLE_PARAMS = {
  /** Output long side at which the reference radii below hold; they scale linearly with it. */
  referenceSide: 1024,
  /**
   * Kuwahara: window radius (reference px) per pass, how strongly low variance wins, its epsilon,
   * and how far (share of the radius) the choice between windows is smoothed.
   */
  kuwaharaRadius: [6, 10], kuwaharaSharpness: 2, kuwaharaEps: 2, kuwaharaSpread: 0.2,
  /** Luminance steps at strength 0 and at strength 1 (fewer = flatter). */
  levels: [14, 7],
  /** Step sharpness: on flat gradients, and on edges at full strength; gradient (L* per px) of a full edge. */
  stepSoft: 0.6, stepSharp: 9, stepEdge: 6,
  /** Chroma gain at full strength (a uniform saturation boost). */
  saturation: 1.15,
  /** Ink: DoG sigma (reference px) and ratio, line length (sigma, reference px) along the edge, structure tensor sigma. */
  inkSigma: 1.5, inkRatio: 1.6, lineSigma: 4, tensorSigma: 2,
  /** DoG response (L* units) where ink starts, and over how many units it reaches full. */
  inkThreshold: 0.75, inkRange: 0.4,
  /** Local contrast (L* std over this radius, reference px) that needs no boost; its floor; the boost's range. */
  contrastRadius: 12, contrastReference: 12, contrastFloor: 3, boostRange: [0.7, 2],
  /** Dilation of the ink (reference px). */
  inkDilate: 1,
  /** How much of the colour under a line the ink removes. */
  inkChroma: 0.6,
  /** Ink lightness, and its opacity at strength 0 and 1. */
  inkL: 8, inkAlpha: [0.5, 1],
} as const;

export type BuiltinStyleParams = { readonly [K in keyof typeof BUILTIN_STYLE_PARAMS]: (typeof BUILTIN_STYLE_PARAMS)[K] extends readonly number[] ? readonly [number, number] : number };

/**
 * The head pass of the portrait style, on aligned face crops at the photo's own resolution: finer
 * windows (skin smoothed, eyes and lips kept), gentler steps on skin, lines only on clear features.
 */
export const BUILTIN_HEAD_PARAMS: BuiltinStyleParams = {
  ...BUILTIN_STYLE_PARAMS,
  kuwaharaRadius: [3, 5],
  levels: [16, 10],
  stepSharp: 5,
  inkSigma: 1.1,
  inkThreshold: 0.9,
  boostRange: [0.7, 1.4],
};

/**
 * Output sizes (long side) the graph is built for, √2 apart: the engine runs the one nearest the
 * output's size, so radii are within ±19% of the exact scale everywhere from 256 to 2048.
 */
export const BUILTIN_SIDES = [256, 362, 512, 724, 1024, 1448, 2048] as const;

/** Samples either side along an ink line. */
const LINE_TAPS = 6;

/** Smallest side the graph accepts (its reflect padding must fit inside the frame). */
export const BUILTIN_MIN_SIDE = 32;

/** Radius in output pixels of `reference` reference pixels at this scale (at least `min`). */
function px(reference: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(reference * scale));
}

function ink(p: BuiltinStyleParams, scale: number) {
  const sigma = Math.max(0.5, p.inkSigma * scale);
  const line = Math.max(1, p.lineSigma * scale);
  // Taps either side reach 3 sigma along the line.
  return { sigma, far: sigma * p.inkRatio, line, spacing: Math.max(1, Math.round((3 * line) / LINE_TAPS)), tensor: Math.max(0.8, p.tensorSigma * scale) };
}

/** How far (px) one output pixel looks into its input at this scale: the tiling margin. */
export function builtinReach(scale: number, p: BuiltinStyleParams = BUILTIN_STYLE_PARAMS): number {
  const smooth = p.kuwaharaRadius.reduce((sum, r) => sum + px(r, scale), 0);
  const i = ink(p, scale);
  const lines = Math.ceil(3 * i.far) + LINE_TAPS * i.spacing + 1;
  const tensor = 1 + 2 * Math.max(1, Math.round(0.87 * i.tensor));
  // The ink reads the first pass; the steps read the gradient of the last one.
  return Math.max(px(p.kuwaharaRadius[0] as number, scale) + Math.max(lines, tensor), smooth + 1);
}

// sRGB (gamma 2.2 approximation) ↔ XYZ normalised to D65 white, so that grey maps to a* = b* = 0.
const RGB_TO_XYZ = [
  [0.4124564 / 0.95047, 0.3575761 / 0.95047, 0.1804375 / 0.95047],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339 / 1.08883, 0.119192 / 1.08883, 0.9503041 / 1.08883],
];
const GAMMA = 2.2;
/** Keeps the cube root's slope finite at black (an offset removed again on the way back). */
const CBRT_OFFSET = 1e-4;

function rgbToLab(g: GraphBuilder, rgb: string): string {
  const lin = g.op('Pow', [g.op('Clip', [rgb, g.scalar(0), g.scalar(1)]), g.scalar(GAMMA)]);
  const xyz = colourMatrix(g, lin, RGB_TO_XYZ, [CBRT_OFFSET, CBRT_OFFSET, CBRT_OFFSET]);
  const f = g.op('Pow', [xyz, g.scalar(1 / 3)]);
  return colourMatrix(g, f, [[0, 116, 0], [500, -500, 0], [0, 200, -200]], [-16, 0, 0]);
}

function labToRgb(g: GraphBuilder, lab: string): string {
  // fy = (L + 16)/116, fx = fy + a/500, fz = fy − b/200.
  const f = colourMatrix(g, lab, [[1 / 116, 1 / 500, 0], [1 / 116, 0, 0], [1 / 116, 0, -1 / 200]], [16 / 116, 16 / 116, 16 / 116]);
  const xyz = g.op('Sub', [g.op('Mul', [g.op('Mul', [f, f]), f]), g.scalar(CBRT_OFFSET)]);
  const lin = colourMatrix(g, xyz, invert3(RGB_TO_XYZ));
  return g.op('Pow', [g.op('Clip', [lin, g.scalar(0), g.scalar(1)]), g.scalar(1 / GAMMA)]);
}

/**
 * Generalised Kuwahara filter: the mean of four quadrant windows (radius r), each weighted by
 * (variance + eps)^-sharpness, variance summed over L*, a* and b*.
 */
function kuwahara(g: GraphBuilder, lab: string, r: number, sharpness: number, eps: number, spread: number): string {
  const axes = g.int64s('axes', [1]);
  // Channels L*, a*, b* and L*² + a*² + b²: the windows' means give their summed variance.
  const both = g.op('Concat', [lab, g.op('ReduceSum', [g.op('Mul', [lab, lab]), axes], { keepdims: 1 })], { axis: 1 });
  const h = Math.max(1, Math.floor(r / 2));
  // Four quadrants and four half-planes as (rows above, below) then (columns left, right); the
  // row passes are shared between windows.
  const rowExtents = [[r, 0], [0, r], [h, h]] as const;
  const windows = [[0, r, 0], [0, 0, r], [1, r, 0], [1, 0, r], [0, h, h], [2, 0, r], [1, h, h], [2, r, 0]] as const;
  const rows = rowExtents.map(([top, bottom]) => boxMean(g, both, top, 0, bottom, 0));
  const means: string[] = [];
  const weights: string[] = [];
  for (const [row, left, right] of windows) {
    const m = boxMean(g, rows[row] as string, 0, left, 0, right);
    const mean = channels(g, m, 0, 3);
    const variance = g.op('Sub', [channels(g, m, 3, 4), g.op('ReduceSum', [g.op('Mul', [mean, mean]), axes], { keepdims: 1 })]);
    means.push(mean);
    weights.push(g.op('Pow', [g.op('Add', [g.op('Relu', [variance]), g.scalar(eps)]), g.scalar(-sharpness)]));
  }
  // The choice between windows is smoothed a little, so that neighbours choose alike (the square
  // blocks of a plain Kuwahara filter come from neighbours choosing differently).
  const w = g.op('Concat', weights, { axis: 1 });
  const wn = g.op('Div', [w, g.op('ReduceSum', [w, axes], { keepdims: 1 })]);
  const sp = Math.round(r * spread);
  const ws = sp > 0 ? boxMean(g, wn, sp, sp, sp, sp) : wn;
  let num = '';
  for (const [i, mean] of means.entries()) {
    const term = g.op('Mul', [mean, channels(g, ws, i, i + 1)]);
    num = num ? g.op('Add', [num, term]) : term;
  }
  return g.op('Div', [num, g.op('ReduceSum', [ws, axes], { keepdims: 1 })]);
}

function channels(g: GraphBuilder, x: string, from: number, to: number): string {
  return g.op('Slice', [x, g.int64s('s', [from]), g.int64s('e', [to]), g.int64s('a', [1])]);
}

/** a + (b − a)·t */
function lerp(g: GraphBuilder, a: string, b: string, t: string): string {
  return g.op('Add', [a, g.op('Mul', [g.op('Sub', [b, a]), t])]);
}

/** clip((x − from)/(to − from), 0, 1) for a scalar input. */
function unit(g: GraphBuilder, x: string, from: number, to: number): string {
  const t = g.op('Div', [g.op('Sub', [x, g.scalar(from)]), g.scalar(to - from)]);
  return g.op('Clip', [t, g.scalar(0), g.scalar(1)]);
}

/** Central differences (Sobel, /8): [∂/∂x, ∂/∂y] of a one-channel image, edges reflected. */
function sobel(g: GraphBuilder, x: string): string {
  const kx = [-1, 0, 1, -2, 0, 2, -1, 0, 1].map((v) => v / 8);
  const ky = [-1, -2, -1, 0, 0, 0, 1, 2, 1].map((v) => v / 8);
  return g.op('Conv', [reflectPad(g, x, 1), g.tensor('sobel', [...kx, ...ky], [2, 1, 3, 3])], { kernel_shape: [3, 3] });
}

/**
 * The graph for outputs whose long side is `scale` × the reference side.
 */
export function buildBuiltinStyle(scale = 1, p: BuiltinStyleParams = BUILTIN_STYLE_PARAMS): Uint8Array {
  const g = new GraphBuilder('toonbot_builtin_toon');
  const x = g.input('image', [1, 3, 'height', 'width']);
  const strength = g.input('strength', [1]);
  const s = g.op('Clip', [strength, g.scalar(0), g.scalar(1)]);

  const lab = rgbToLab(g, x);
  const [r1, r2] = p.kuwaharaRadius.map((r) => px(r, scale)) as [number, number];
  const k1 = kuwahara(g, lab, r1, p.kuwaharaSharpness, p.kuwaharaEps, p.kuwaharaSpread);
  const k2 = kuwahara(g, k1, r2, p.kuwaharaSharpness, p.kuwaharaEps, p.kuwaharaSpread);
  // Strength 0..0.3: from the photo to one pass; 0.3..0.8: to two passes.
  const smooth = lerp(g, lerp(g, lab, k1, unit(g, s, 0, 0.3)), k2, unit(g, s, 0.3, 0.8));
  const L = channels(g, smooth, 0, 1);
  const ab = channels(g, smooth, 1, 3);

  // Soft luminance steps: t = L/Δ, out = Δ·(⌊t⌋ + ½ + ½·tanh(φ(frac − ½))/tanh(φ/2)), continuous
  // across band limits; φ grows with the local gradient (per reference px) and with strength.
  const levels = g.op('Add', [g.scalar(p.levels[0]), g.op('Mul', [s, g.scalar(p.levels[1] - p.levels[0])])]);
  const delta = g.op('Div', [g.scalar(100), levels]);
  const grad = sobel(g, L);
  const gradMag = g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [grad, grad]), g.int64s('axes', [1])], { keepdims: 1 })]);
  const edgeness = g.op('Clip', [g.op('Mul', [gradMag, g.scalar(scale / p.stepEdge)]), g.scalar(0), g.scalar(1)]);
  const phi = g.op('Add', [g.scalar(p.stepSoft), g.op('Mul', [edgeness, g.op('Mul', [s, g.scalar(p.stepSharp - p.stepSoft)])])]);
  const t = g.op('Div', [L, delta]);
  const k = g.op('Floor', [t]);
  const frac = g.op('Sub', [t, k]);
  const step = g.op('Div', [g.op('Tanh', [g.op('Mul', [phi, g.op('Sub', [frac, g.scalar(0.5)])])]), g.op('Tanh', [g.op('Mul', [phi, g.scalar(0.5)])])]);
  const Lq = g.op('Mul', [delta, g.op('Add', [g.op('Add', [k, g.scalar(0.5)]), g.op('Mul', [step, g.scalar(0.5)])])]);

  // Ink: the dark side of a DoG on the first pass's luminance, averaged along the edge tangent.
  const i = ink(p, scale);
  const L1 = channels(g, k1, 0, 1);
  const dog = g.op('Sub', [gaussianBlur(g, L1, i.far, 1), gaussianBlur(g, L1, i.sigma, 1)]);
  // Contrast-normalised: the same edge counts for more in a soft, low-contrast picture.
  const R = px(p.contrastRadius, scale);
  const mean = boxMean(g, L1, R, R, R, R);
  const std = g.op('Sqrt', [g.op('Relu', [g.op('Sub', [boxMean(g, g.op('Mul', [L1, L1]), R, R, R, R), g.op('Mul', [mean, mean])])])]);
  const boost = g.op('Clip', [g.op('Div', [g.scalar(p.contrastReference), g.op('Add', [std, g.scalar(p.contrastFloor)])]), g.scalar(p.boostRange[0]), g.scalar(p.boostRange[1])]);
  const response = g.op('Mul', [g.op('Relu', [dog]), boost]);
  const lines = orientedLines(g, response, i.line, LINE_TAPS, i.spacing); // 4 channels: 0°, 45°, 90°, 135°
  const g1 = sobel(g, L1);
  const gx = channels(g, g1, 0, 1);
  const gy = channels(g, g1, 1, 2);
  // Structure tensor, smoothed by two box passes (close to a Gaussian of sigma i.tensor, and cheap).
  const b = Math.max(1, Math.round(0.87 * i.tensor));
  const tensor = boxMean(g, boxMean(g, g.op('Concat', [g.op('Mul', [gx, gx]), g.op('Mul', [gx, gy]), g.op('Mul', [gy, gy])], { axis: 1 }), b, b, b, b), b, b, b, b);
  const jxx = channels(g, tensor, 0, 1);
  const jxy = channels(g, tensor, 1, 2);
  const jyy = channels(g, tensor, 2, 3);
  const c = g.op('Sub', [jxx, jyy]);
  const sn = g.op('Mul', [jxy, g.scalar(2)]);
  const mag = g.op('Sqrt', [g.op('Add', [g.op('Add', [g.op('Mul', [c, c]), g.op('Mul', [sn, sn])]), g.scalar(1e-6)])]);
  const coherence = g.op('Div', [mag, g.op('Add', [g.op('Add', [jxx, jyy]), g.scalar(1e-3)])]);
  // Alignment of the tangent with 0°, 45°, 90°, 135°: cos 2(θt − α).
  const align = g.op('Div', [g.op('Concat', [g.op('Neg', [c]), g.op('Neg', [sn]), c, sn], { axis: 1 }), mag]);
  const weights = g.op('Softmax', [g.op('Mul', [align, g.op('Mul', [coherence, g.scalar(6)])])], { axis: 1 });
  const flow = g.op('ReduceSum', [g.op('Mul', [lines, weights]), g.int64s('axes', [1])], { keepdims: 1 });
  // Fewer lines at low strength, more at high: the threshold pivots around the default strength.
  const threshold = g.op('Mul', [g.scalar(p.inkThreshold), g.op('Max', [g.op('Add', [g.scalar(1 + 1.2 * 0.7), g.op('Mul', [s, g.scalar(-1.2)])]), g.scalar(0.6)])]);
  const inkAmount = g.op('Clip', [g.op('Div', [g.op('Sub', [flow, threshold]), g.scalar(p.inkRange)]), g.scalar(0), g.scalar(1)]);
  // Lines drawn a little bolder (a small dilation): solid strokes, and nearby fragments merge.
  const d = px(p.inkDilate, scale, 0);
  const bold = d > 0 ? g.op('MaxPool', [inkAmount], { kernel_shape: [2 * d + 1, 2 * d + 1], pads: [d, d, d, d], strides: [1, 1] }) : inkAmount;
  const alpha = g.op('Mul', [bold, g.op('Add', [g.scalar(p.inkAlpha[0]), g.op('Mul', [s, g.scalar(p.inkAlpha[1] - p.inkAlpha[0])])])]);

  const gain = g.op('Add', [g.scalar(1), g.op('Mul', [s, g.scalar(p.saturation - 1)])]);
  const Lout = lerp(g, Lq, g.scalar(p.inkL), alpha);
  const abOut = g.op('Mul', [ab, g.op('Mul', [gain, g.op('Sub', [g.scalar(1), g.op('Mul', [alpha, g.scalar(p.inkChroma)])])])]);
  const out = labToRgb(g, g.op('Concat', [Lout, abOut], { axis: 1 }));
  g.output(g.op('Clip', [out, g.scalar(0), g.scalar(1)]), 'cartoon', [1, 3, 'height', 'width']);
  return g.toBytes(`ToonBot built-in toon style at scale ${scale}, generated by src/modelgen/builtinStyle.ts`);
}

function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [h, i, k]] = m as [[number, number, number], [number, number, number], [number, number, number]];
  const det = a * (e * k - f * i) - b * (d * k - f * h) + c * (d * i - e * h);
  return [
    [(e * k - f * i) / det, (c * i - b * k) / det, (b * f - c * e) / det],
    [(f * h - d * k) / det, (a * k - c * h) / det, (c * d - a * f) / det],
    [(d * i - e * h) / det, (b * h - a * i) / det, (a * e - b * d) / det],
  ];
}
