/**
 * The built-in looks besides `toon`, drawn on the same layers (builtinStyle.ts): the flattened
 * picture, its soft luminance steps and the line map. Each look only renders them differently:
 *
 * - `sketch`: graphite on paper. The lines as grey pencil strokes, shading as hatching at 45°
 *   (cross-hatched where it is darkest), a faint paper grain; no colour.
 * - `manga`: black and white ink. Solid blacks for the darkest regions, clean black outlines,
 *   screentone dots on a 45° screen for the mid-tones (dot area follows the tone), white highlights.
 * - `comic`: American-comic print. Bold outlines, flat saturated colours in few steps, and a
 *   halftone dot screen of the colour's own darker shade in the shadows.
 *
 * Patterns are fixed to the page: their coordinates are the frame's, from the graph's `origin`
 * input (the tile's corner), so tiles line up; their period (reference px at a 1024 px output)
 * follows the output size like every radius.
 */
import type { GraphBuilder } from './GraphBuilder.ts';
import { lerp, pixelCount, unit } from './styleLayers.ts';

export const LOOK_IDS = ['sketch', 'manga', 'comic'] as const;
export type LookId = (typeof LOOK_IDS)[number];

/** What every look draws from (tensor names; Lab at the output size, [1, C, H, W]). */
export interface LookLayers {
  /** The photo's L*. */
  L: string;
  /** The flattened picture's L* after the soft steps, kept above ink-dark. */
  Lshade: string;
  /** The flattened picture's a*, b*. */
  ab: string;
  /** |∇L*| of the flattened picture (per output px). */
  gradL: string;
  /** The line map at the output size, 0..1, before its edge is made firm. */
  inkUp: string;
  /** Strength, clipped to 0..1 ([1]). */
  s: string;
  /** The tile's corner in the frame, [x, y]. */
  origin: string;
  /** Output px per reference px. */
  scale: number;
  /** The working-size reduction (1: no upsampling of the line map). */
  f: number;
}

/** Per-look constants (reference px at a 1024 px output, L* units). */
export const LOOK_PARAMS = {
  sketch: { hatchPeriod: 7, crossFrom: 0.6, toneFrom: 64, toneRange: 48, graphite: 36, paper: 96, grain: 2.5, lineEdge: [0.5, 0.8], contour: [1.5, 4] },
  manga: { dotPeriod: 5, blackFrom: 20, blackRange: 8, whiteFrom: 74, simplify: 10, lineEdge: [0.25, 0.55] },
  comic: { dotPeriod: 6, shadowFrom: 52, shadowRange: 30, dotShade: 0.55, saturation: 1.5, lineEdge: [0.15, 0.45] },
} as const;

/** The look's Lab output, [1, 3, H, W]. */
export function renderLook(g: GraphBuilder, look: LookId, v: LookLayers): string {
  const { X, Y } = coords(g, v.L, v.origin);
  const aa = 0.75; // antialiasing width of pattern edges, output px
  switch (look) {
    case 'sketch': {
      const p = LOOK_PARAMS.sketch;
      const period = p.hatchPeriod * v.scale;
      const dark = sketchDarkness(g, v.Lshade, v.s);
      const hatch1 = stripes(g, X, Y, 1, period, dark, aa);
      const hatch2 = stripes(g, X, Y, -1, period, unit(g, dark, p.crossFrom, 1), aa);
      const line = g.op('Mul', [firm(g, v, p.lineEdge), g.op('Add', [g.scalar(0.7), g.op('Mul', [v.s, g.scalar(0.3)])])]);
      // A light pencil line on every boundary of the flattened picture (eyes, mouths, folds the
      // ink layer leaves out); texture is already flat there, so it draws shapes only.
      const contour = g.op('Mul', [unit(g, v.gradL, p.contour[0], p.contour[1]), g.scalar(0.5)]);
      const hatching = crossHatching(g, hatch1, hatch2);
      const graphite = g.op('Max', [g.op('Max', [line, contour]), hatching]);
      const paper = g.op('Add', [g.scalar(p.paper), g.op('Mul', [g.op('Sub', [noise(g, X, Y), g.scalar(0.5)]), g.scalar(2 * p.grain)])]);
      const Lout = lerp(g, paper, g.scalar(p.graphite), graphite);
      // Warm paper, grey graphite.
      const tint = g.op('Mul', [g.op('Sub', [g.scalar(1), graphite]), g.tensor('paper_ab', [0.6, 3.5], [1, 2, 1, 1])]);
      return g.op('Concat', [Lout, tint], { axis: 1 });
    }
    case 'manga': {
      const p = LOOK_PARAMS.manga;
      // Strength simplifies: more of the picture goes to solid black or to white, less to tone
      // (the thresholds move 10 L* apart per unit of strength, from where they are at 0.7).
      const shift = g.op('Mul', [g.op('Sub', [v.s, g.scalar(0.7)]), g.scalar(p.simplify)]);
      const Lb = g.op('Sub', [v.Lshade, shift]);
      const Lw = g.op('Add', [v.Lshade, shift]);
      const black = unit(g, g.op('Sub', [g.scalar(p.blackFrom + p.blackRange), Lb]), 0, p.blackRange);
      const tone = unit(g, g.op('Sub', [g.scalar(p.whiteFrom), Lw]), 0, p.whiteFrom - p.blackFrom);
      const dots = dotScreen(g, X, Y, p.dotPeriod * v.scale, tone, aa);
      const ink = g.op('Max', [g.op('Max', [black, dots]), firm(g, v, p.lineEdge)]);
      const Lout = g.op('Mul', [g.op('Sub', [g.scalar(1), ink]), g.scalar(100)]);
      return g.op('Concat', [Lout, g.op('Mul', [v.ab, g.scalar(0)])], { axis: 1 });
    }
    case 'comic': {
      const p = LOOK_PARAMS.comic;
      // Shadows get dots of the colour's darker shade; their area grows into the shadow.
      const shadow = unit(g, g.op('Sub', [g.scalar(p.shadowFrom), v.Lshade]), 0, p.shadowRange);
      const dots = dotScreen(g, X, Y, p.dotPeriod * v.scale, g.op('Mul', [shadow, g.scalar(0.7)]), aa);
      const Lc = g.op('Mul', [v.Lshade, g.op('Sub', [g.scalar(1), g.op('Mul', [dots, g.scalar(1 - p.dotShade)])])]);
      const gain = g.op('Add', [g.scalar(1), g.op('Mul', [v.s, g.scalar(p.saturation - 1)])]);
      const line = firm(g, v, p.lineEdge);
      const Lout = lerp(g, Lc, g.scalar(6), line);
      const abOut = g.op('Mul', [v.ab, g.op('Mul', [gain, g.op('Sub', [g.scalar(1), g.op('Mul', [line, g.scalar(0.85)])])])]);
      return g.op('Concat', [Lout, abOut], { axis: 1 });
    }
  }
}

/** The line map with a firm, antialiased edge (bolder for a lower `edge`). */
function firm(g: GraphBuilder, v: LookLayers, edge: readonly [number, number]): string {
  return v.f > 1 ? unit(g, v.inkUp, edge[0], edge[1]) : unit(g, v.inkUp, edge[0] * 0.5, edge[1]);
}

/**
 * The frame's pixel coordinates of a [1, 1, H, W] tensor: x as one row [1, 1, 1, W] and y as one
 * column [1, 1, H, 1], which broadcast wherever they meet (no full-size coordinate planes).
 */
function coords(g: GraphBuilder, like: string, origin: string): { X: string; Y: string } {
  const at = (i: number) => g.op('Slice', [origin, g.int64s('s', [i]), g.int64s('e', [i + 1]), g.int64s('a', [0])]);
  const X = g.op('Add', [pixelCount(g, like, 'x'), g.op('Sub', [at(0), g.scalar(1)])]);
  const Y = g.op('Add', [pixelCount(g, like, 'y'), g.op('Sub', [at(1), g.scalar(1)])]);
  return { X, Y };
}

/** Signed distance to the nearest whole number: t − round(t), in −½..½. */
function wrap(g: GraphBuilder, t: string): string {
  return g.op('Sub', [t, g.op('Floor', [g.op('Add', [t, g.scalar(0.5)])])]);
}

/**
 * Ink of a dot screen at 45°, `period` px between dots: each dot covers `coverage` (0..1) of its
 * cell, so the ink's area follows the tone (dots merge past ~0.78).
 */
export function dotScreen(g: GraphBuilder, X: string, Y: string, period: number | string, coverage: string, aa: number): string {
  // `period` a number (the page's graphs, built per size) or a tensor of shape [1] (a face crop's
  // graph, told the page's scale when it runs).
  const perCell = typeof period === 'number' ? undefined : g.op('Reciprocal', [g.op('Mul', [period, g.scalar(Math.SQRT2)])]);
  const k = () => perCell ?? g.scalar(1 / ((period as number) * Math.SQRT2));
  const u = wrap(g, g.op('Mul', [g.op('Add', [X, Y]), k()]));
  const w = wrap(g, g.op('Mul', [g.op('Sub', [X, Y]), k()]));
  const dist = g.op('Sqrt', [g.op('Add', [g.op('Mul', [u, u]), g.op('Mul', [w, w])])]);
  const radius = g.op('Sqrt', [g.op('Div', [g.op('Clip', [coverage, g.scalar(0), g.scalar(1)]), g.scalar(Math.PI)])]);
  // The antialiased edge is centred on the radius (the dot keeps its area at any period); where
  // there is no tone there is no dot (no stray specks).
  const sharpness = () => (typeof period === 'number' ? g.scalar(period / aa) : g.op('Mul', [period, g.scalar(1 / aa)]));
  const ink = g.op('Clip', [g.op('Add', [g.op('Mul', [g.op('Sub', [radius, dist]), sharpness()]), g.scalar(0.5)]), g.scalar(0), g.scalar(1)]);
  return g.op('Mul', [ink, unit(g, coverage, 0, 0.04)]);
}

/** How dark sketch's shading is at a tone L*: 0 on light areas, 1 on the darkest; more of it at full strength `s`. */
export function sketchDarkness(g: GraphBuilder, L: string, s: string): string {
  const p = LOOK_PARAMS.sketch;
  return g.op('Mul', [unit(g, g.op('Sub', [g.scalar(p.toneFrom), L]), 0, p.toneRange), g.op('Add', [g.scalar(0.6), g.op('Mul', [s, g.scalar(0.4)])])]);
}

/** Ink of parallel strokes at ±45°, `period` px apart, each as wide as `weight` (0..1) of the period. */
/** Sketch's two layers of hatching as one: the crossing layer adds to the first where they cross, so the darkest areas read darkest. */
export function crossHatching(g: GraphBuilder, hatch1: string, hatch2: string): string {
  return g.op('Min', [g.op('Add', [g.op('Mul', [hatch1, g.scalar(0.55)]), g.op('Mul', [hatch2, g.scalar(0.45)])]), g.scalar(0.95)]);
}

/**
 * One layer of hatching at 45° (`sign` picks the diagonal), `period` px apart: a number (the
 * page's graphs, built per size) or a tensor of shape [1] (a face crop's graph, told the page's
 * scale when it runs); each stroke as wide as 0.9 of the period times `weight`.
 */
export function stripes(g: GraphBuilder, X: string, Y: string, sign: 1 | -1, period: number | string, weight: string, aa: number): string {
  const times = (k: number) => (typeof period === 'number' ? g.scalar(period * k) : g.op('Mul', [period, g.scalar(k)]));
  const perStep = () => (typeof period === 'number' ? g.scalar(Math.SQRT1_2 / period) : g.op('Reciprocal', [g.op('Mul', [period, g.scalar(Math.SQRT2)])]));
  const t = g.op('Mul', [g.op(sign > 0 ? 'Add' : 'Sub', [X, Y]), perStep()]);
  const dist = g.op('Mul', [g.op('Abs', [wrap(g, t)]), times(1)]);
  const half = g.op('Mul', [weight, times(0.45)]);
  // The antialiased edge is centred on the stroke's edge; no weight, no stroke.
  const ink = g.op('Clip', [g.op('Add', [g.op('Mul', [g.op('Sub', [half, dist]), g.scalar(1 / aa)]), g.scalar(0.5)]), g.scalar(0), g.scalar(1)]);
  return g.op('Mul', [ink, unit(g, weight, 0, 0.06)]);
}

/**
 * A fixed grain in 0..1 from the pixel's coordinates, the same at every run and tile: Jimenez's
 * interleaved gradient noise, fract(52.98 · fract(0.0671 x + 0.00584 y)), multiplies and floors only.
 */
function noise(g: GraphBuilder, X: string, Y: string): string {
  const fract = (t: string) => g.op('Sub', [t, g.op('Floor', [t])]);
  const inner = fract(g.op('Add', [g.op('Mul', [X, g.scalar(0.06711056)]), g.op('Mul', [Y, g.scalar(0.00583715)])]));
  return fract(g.op('Mul', [inner, g.scalar(52.9829189)]));
}
