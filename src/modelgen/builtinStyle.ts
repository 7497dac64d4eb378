/**
 * The built-in "toon" style: image abstraction after Winnemöller, Olsen and Gooch (*Real-Time Video
 * Abstraction*, 2006) and Kang, Lee and Chui (*Coherent Line Drawing*, 2007), with lines placed
 * the way a cartoonist places them (on shapes, not on texture), written as an ONNX graph of plain
 * operators, so that a fresh clone has a real style with no downloaded weights.
 *
 *   photo ─ CIELab ─┬─ working size (≤ 724 px, box mean) ─ Kuwahara ─ Kuwahara ─ texture made flat ─┐
 *                   │        texture measure: fine gradient energy against large-scale structure ─┤
 *                   │        lines: DoG of the flat picture, gated by structure, along the flow,  │
 *                   │               linked by hysteresis ───────────────────────────────────────┤
 *                   └─ output size: guided upsampling of the colours (edges from the photo),   ◀─┘
 *                      soft luminance steps, ink drawn at the output size ─ sRGB
 *
 * - Colour: a generalised Kuwahara filter (Papari et al.'s soft weighting of box sectors), twice,
 *   flattens regions without blurring across edges. Where the photo is busy at a fine scale but
 *   has no large-scale structure (grass, foliage, fur, wood grain, noodles) the result is blurred
 *   further: texture becomes soft shading, not camouflage patches.
 * - The abstraction runs at a working size of about 512 px whatever the output size (an integer
 *   box-mean reduction), and comes back to the output size through a guided filter (He, Sun and
 *   Tang, 2010; upsampled as in He and Sun's *Fast Guided Filter*, 2015) whose guide is the photo's
 *   own L*: edges are as crisp as the photo's, texture is not brought back (the filter's slope is
 *   damped where the texture measure says texture).
 * - Lines: the dark side of a difference of Gaussians on the flattened luminance, multiplied by a
 *   structure gate (large-scale gradient over pooled fine-scale gradient energy: high on the
 *   outline of a shape, low inside texture), averaged along the local edge direction (four
 *   oriented line kernels weighted by the structure tensor: long strokes, tapered ends), then
 *   linked by hysteresis (weak responses are kept only next to strong ones, twice). The line map
 *   is upsampled smoothly and given its final, antialiased edge at the output size.
 * - Only luminance is quantised, with tanh steps whose sharpness follows the local gradient.
 *
 * Every radius is `reference px × scale`, where scale = output long side / 1024: the engine picks
 * the graph built for the output size, so a 512 and a 2048 result look alike at the same size.
 * Strength is an input: it sets how far the abstraction goes (smoothing passes, luminance steps,
 * ink weight), not a mix with the photo.
 *
 * Input: 8-bit RGB pixels, NHWC ("image", uint8 [1, H, W, 3]) and the strength in (0, 1]
 * ("strength", float [1]). Output: the cartoon ("cartoon"), same type and layout. Frames should be a multiple of 4 on each side (the
 * manifest says so: the working-size reduction then never straddles a tile's edge).
 */
import { GraphBuilder } from './GraphBuilder.ts';
import { boxMean, gaussianBlur, orientedLines } from './filters.ts';
import { BUILTIN_STYLE_PARAMS, type BuiltinStyleParams } from './builtinParams.ts';
import { renderLook, type LookId } from './looks.ts';
import { channels, gradientMagnitude, kuwahara, labToRgb, lerp, rgbToLab, softPool, sobel, sumChannels, unit } from './styleLayers.ts';

/**
 * Output sizes (long side) the graph is built for, √2 apart: the engine runs the one nearest the
 * output's size, so radii are within ±19% of the exact scale everywhere from 256 to 2048.
 */
export const BUILTIN_SIDES = [256, 362, 512, 724, 1024, 1448, 2048] as const;

/** Frames the graph takes are a multiple of this on each side (its largest reduction factor). */
export const BUILTIN_SIZE_MULTIPLE = 4;

/** Samples either side along an ink line. */
const LINE_TAPS = 6;

/** Smallest side the graph accepts (its reflect padding must fit inside the frame). */
export const BUILTIN_MIN_SIDE = 64;

/** The working-size reduction for outputs whose long side is `side`: 1 up to 362, 2 up to 1448, then 4. */
function reduction(side: number): 1 | 2 | 4 {
  return side <= 400 ? 1 : side <= 1600 ? 2 : 4;
}

/** Every radius of the graph at one scale, in working-size pixels (`f` output px each). */
function plan(scale: number, p: BuiltinStyleParams) {
  const f = reduction(scale * p.referenceSide);
  const w = scale / f; // working px per reference px
  const r = (reference: number, min = 1) => Math.max(min, Math.round(reference * w));
  const sigma = (reference: number, min = 0.6) => Math.max(min, reference * w);
  const inkSigma = sigma(p.inkSigma, 0.7);
  const line = Math.max(1, p.lineSigma * w);
  return {
    f,
    kuwahara: p.kuwaharaRadius.map((k) => r(k)) as [number, number],
    fine: sigma(p.fineSigma),
    pool: r(p.poolRadius, 2),
    shade: sigma(p.shadeSigma, 1),
    guide: r(p.guideRadius),
    ink: inkSigma,
    inkFar: inkSigma * p.inkRatio,
    line,
    spacing: Math.max(1, Math.round((3 * line) / LINE_TAPS)),
    long: Math.max(1, p.seedSigma * w),
    longSpacing: Math.max(1, Math.round((3 * Math.max(1, p.seedSigma * w)) / LINE_TAPS)),
    tensor: Math.max(1, Math.round(0.87 * sigma(p.tensorSigma, 0.8))),
    contrast: r(p.contrastRadius),
    link: r(p.linkRadius),
  };
}

/** How far (px) one output pixel looks into its input at this scale: the tiling margin. */
export function builtinReach(scale: number, p: BuiltinStyleParams = BUILTIN_STYLE_PARAMS): number {
  const k = plan(scale, p);
  const blur = (s: number) => Math.max(1, Math.ceil(3 * s));
  const kuwahara = k.kuwahara.reduce((sum, r) => sum + r + Math.round(r * p.kuwaharaSpread), 0);
  // The texture measure: fine gradient, its pooled energy (two box passes), and the structure.
  const texture = blur(k.fine) + 1 + 2 * k.pool;
  const flat = Math.max(kuwahara + blur(k.shade), texture);
  const lines = flat + Math.max(blur(k.inkFar), k.contrast) + LINE_TAPS * (k.spacing + k.longSpacing) + k.link * p.linkSteps;
  const tensor = flat + 1 + 2 * k.tensor;
  const colour = flat + 1 + 2 * k.guide;
  // Working pixels to output pixels, the reduction's own cell, and the upsampling's neighbour.
  return k.f * (Math.max(lines, tensor, colour) + 2) + k.f;
}

/**
 * The graph for outputs whose long side is `scale` × the reference side. `inspect` adds the
 * working-size maps (structure gate, texture, ink) as outputs, for scripts/style-report.ts.
 */
export function buildBuiltinStyle(scale = 1, p: BuiltinStyleParams = BUILTIN_STYLE_PARAMS, inspect = false, look: 'toon' | LookId = 'toon'): Uint8Array {
  const k = plan(scale, p);
  const g = new GraphBuilder(`toonbot_builtin_${look}`);
  // 8-bit RGB pixels in and out, laid out like the frame (NHWC): the engine hands the graph the
  // decoded frame's own bytes and takes its output as the result, with no conversion loop.
  const pixelsIn = g.input('image', [1, 'height', 'width', 3], 'uint8');
  const x = g.op('Mul', [g.op('Transpose', [g.op('Cast', [pixelsIn], { to: 1 })], { perm: [0, 3, 1, 2] }), g.scalar(1 / 255)]);
  const strength = g.input('strength', [1]);
  // Looks with a pattern fixed to the page take the tile's corner in the frame.
  const origin = look === 'toon' ? '' : g.input('origin', [2]);
  const s = g.op('Clip', [strength, g.scalar(0), g.scalar(1)]);

  const lab = rgbToLab(g, x);
  const L = channels(g, lab, 0, 1);
  // The working size: a box mean over f × f cells (frames are a multiple of 4, so cells never straddle).
  const labW = k.f > 1 ? g.op('AveragePool', [lab], { kernel_shape: [k.f, k.f], strides: [k.f, k.f] }) : lab;
  const LW = channels(g, labW, 0, 1);

  // Texture measure, after Xu et al.'s relative total variation (*Structure Extraction from Texture
  // via Relative Total Variation*, 2012): over a window, the signed gradients of an outline add
  // up while those of texture cancel, so |Σ∇L| / Σ|∇L| is near 1 on shapes and near 0 on texture.
  const fine = sobel(g, gaussianBlur(g, LW, k.fine, 1));
  const sums = softPool(g, g.op('Concat', [fine, g.op('Sqrt', [g.op('Add', [sumChannels(g, g.op('Mul', [fine, fine]), 2), g.scalar(1e-6)])])], { axis: 1 }), k.pool);
  const inherent = channels(g, sums, 0, 2);
  const total = channels(g, sums, 2, 3);
  const net = g.op('Sqrt', [g.op('Add', [sumChannels(g, g.op('Mul', [inherent, inherent]), 2), g.scalar(1e-6)])]);
  // Gradients are per working px; a working px spans f/scale reference px.
  const ratio = g.op('Div', [net, g.op('Add', [total, g.scalar((p.gateFloor * k.f) / scale)])]);
  const gate = unit(g, ratio, p.gateFrom, p.gateFrom + p.gateRange);
  const busy = unit(g, g.op('Mul', [total, g.scalar(scale / k.f)]), p.busyFrom, p.busyFrom + p.busyRange);
  const texture = g.op('Mul', [busy, g.op('Sub', [g.scalar(1), gate])]);

  // Colour: two Kuwahara passes, then texture blurred into shading.
  const k1 = kuwahara(g, labW, k.kuwahara[0], p.kuwaharaSharpness, p.kuwaharaEps, p.kuwaharaSpread);
  const k2 = kuwahara(g, k1, k.kuwahara[1], p.kuwaharaSharpness, p.kuwaharaEps, p.kuwaharaSpread);
  const flat2 = lerp(g, k2, gaussianBlur(g, k2, k.shade, 3), texture);
  // Strength 0..0.3: from the photo to one pass; 0.3..0.8: to two passes with texture flattened.
  const flat1 = lerp(g, k1, gaussianBlur(g, k1, k.shade, 3), g.op('Mul', [texture, g.scalar(0.5)]));
  const smooth = lerp(g, lerp(g, labW, flat1, unit(g, s, 0, 0.3)), flat2, unit(g, s, 0.3, 0.8));

  // Lines, on the fully flattened picture whatever the strength (strength sets their weight).
  const LF = channels(g, flat2, 0, 1);
  const dog = g.op('Sub', [gaussianBlur(g, LF, k.inkFar, 1), gaussianBlur(g, LF, k.ink, 1)]);
  const R = k.contrast;
  const mean = boxMean(g, LF, R, R, R, R);
  const std = g.op('Sqrt', [g.op('Relu', [g.op('Sub', [boxMean(g, g.op('Mul', [LF, LF]), R, R, R, R), g.op('Mul', [mean, mean])])])]);
  const boost = g.op('Clip', [g.op('Div', [g.scalar(p.contrastReference), g.op('Add', [std, g.scalar(p.contrastFloor)])]), g.scalar(p.boostRange[0]), g.scalar(p.boostRange[1])]);
  // The DoG is in L* per working px²-ish units: scaled so that its threshold holds at every size.
  const response = g.op('Mul', [g.op('Mul', [g.op('Relu', [dog]), boost]), gate]);
  const lines = orientedLines(g, response, k.line, LINE_TAPS, k.spacing); // 0°, 45°, 90°, 135°
  const gr = sobel(g, LF);
  const gx = channels(g, gr, 0, 1);
  const gy = channels(g, gr, 1, 2);
  const tensor = softPool(g, g.op('Concat', [g.op('Mul', [gx, gx]), g.op('Mul', [gx, gy]), g.op('Mul', [gy, gy])], { axis: 1 }), k.tensor);
  const jxx = channels(g, tensor, 0, 1);
  const jxy = channels(g, tensor, 1, 2);
  const jyy = channels(g, tensor, 2, 3);
  const c = g.op('Sub', [jxx, jyy]);
  const sn = g.op('Mul', [jxy, g.scalar(2)]);
  const mag = g.op('Sqrt', [g.op('Add', [g.op('Add', [g.op('Mul', [c, c]), g.op('Mul', [sn, sn])]), g.scalar(1e-6)])]);
  const coherence = g.op('Div', [mag, g.op('Add', [g.op('Add', [jxx, jyy]), g.scalar(1e-3)])]);
  const align = g.op('Div', [g.op('Concat', [g.op('Neg', [c]), g.op('Neg', [sn]), c, sn], { axis: 1 }), mag]);
  // A softmax over the four directions, written out: onnxruntime's Softmax on axis 1 transposes
  // to the last axis and back (16 ms at 1024 here, the graph's costliest node); the argument lies
  // in [-6, 6], so exp needs no max subtracted.
  const e = g.op('Exp', [g.op('Mul', [align, g.op('Mul', [coherence, g.scalar(6)])])]);
  const weights = g.op('Div', [e, sumChannels(g, e, 4)]);
  const flow = sumChannels(g, g.op('Mul', [lines, weights]), 4);
  // Fewer lines at low strength, more at high: the threshold pivots around the default strength.
  const threshold = g.op('Mul', [g.scalar(p.inkThreshold), g.op('Max', [g.op('Add', [g.scalar(1 + 1.2 * 0.7), g.op('Mul', [s, g.scalar(-1.2)])]), g.scalar(0.6)])]);
  const above = (share: number) => g.op('Clip', [g.op('Div', [g.op('Sub', [flow, g.op('Mul', [threshold, g.scalar(share)])]), g.scalar(p.inkRange)]), g.scalar(0), g.scalar(1)]);
  const weak = above(p.weakShare);
  // Seeds: ink that is still there when averaged along the flow over a long stretch. A short dash
  // or a spot averages away; a stroke along an outline does not.
  const long = sumChannels(g, g.op('Mul', [orientedLines(g, above(1), k.long, LINE_TAPS, k.longSpacing), weights]), 4);
  let ink = g.op('Min', [above(1), unit(g, long, p.seedFrom, p.seedFrom + 0.25)]);
  // Hysteresis: a weak response is ink only where it touches ink, step by step along the line.
  // A step reaches along the stroke's own direction: across rows for a level line, down columns
  // for an upright one, both ways for a diagonal (MaxPool windows are upright rectangles), so a
  // stroke grows along its edge, not sideways into the strokes beside it (grass, hair).
  const K = 2 * k.link + 1;
  const pool = (x: string, kh: number, kw: number) => g.op('MaxPool', [x], { kernel_shape: [kh, kw], pads: [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2], strides: [1, 1] });
  const along = p.linkAlong ? { level: channels(g, weights, 0, 1), upright: channels(g, weights, 2, 3), diagonal: g.op('Add', [channels(g, weights, 1, 2), channels(g, weights, 3, 4)]) } : undefined;
  const reach = (x: string): string => {
    if (!along) return pool(x, K, K);
    // The square window is the level one's maximum taken down columns (a max is separable).
    const level = pool(x, 1, K);
    return g.op('Add', [g.op('Add', [g.op('Mul', [level, along.level]), g.op('Mul', [pool(x, K, 1), along.upright])]), g.op('Mul', [pool(level, K, 1), along.diagonal])]);
  };
  for (let i = 0; i < p.linkSteps; i += 1) {
    const near = reach(ink);
    ink = g.op('Max', [ink, g.op('Min', [weak, near])]);
  }

  // Guided filter on the working size (guide: the working L*), its slope damped on texture.
  const rg = k.guide;
  const mI = boxMean(g, LW, rg, rg, rg, rg);
  const mP = boxMean(g, smooth, rg, rg, rg, rg);
  const cov = g.op('Sub', [boxMean(g, g.op('Mul', [smooth, LW]), rg, rg, rg, rg), g.op('Mul', [mP, mI])]);
  const varI = g.op('Sub', [boxMean(g, g.op('Mul', [LW, LW]), rg, rg, rg, rg), g.op('Mul', [mI, mI])]);
  const slope = g.op('Mul', [g.op('Div', [cov, g.op('Add', [g.op('Relu', [varI]), g.scalar(p.guideEps)])]), g.op('Sub', [g.scalar(1), texture])]);
  // q = mean(p) + slope · (I − mean(I)), its coefficients smoothed over the same window.
  const coeffs = boxMean(g, g.op('Concat', [slope, g.op('Sub', [mP, g.op('Mul', [slope, mI])])], { axis: 1 }), rg, rg, rg, rg);
  // The ink goes up with them, unsmoothed: it is already soft.
  const packed = g.op('Concat', [coeffs, ink], { axis: 1 });
  let up = packed;
  if (k.f > 1) {
    const sizes = g.op('Concat', [g.int64s('nc', [1, 7]), g.op('Slice', [g.op('Shape', [x]), g.int64s('s', [2]), g.int64s('e', [4]), g.int64s('a', [0])])], { axis: 0 });
    up = g.op('Resize', [packed, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  }
  const a = channels(g, up, 0, 3);
  const b = channels(g, up, 3, 6);
  const inkUp = channels(g, up, 6, 7);
  const guided = g.op('Add', [g.op('Mul', [a, L]), b]);
  const colour = lerp(g, lab, guided, unit(g, s, 0, 0.25));
  const Lc = channels(g, colour, 0, 1);
  const ab = channels(g, colour, 1, 3);

  const gradL = gradientMagnitude(g, Lc);
  // Soft luminance steps at the output size: t = L/Δ, out = Δ·(⌊t⌋ + ½ + ½·tanh(φ(frac − ½))/tanh(φ/2));
  // φ grows with the local gradient (per reference px) and with strength. The patterned looks keep
  // them too: flat tone regions give each an even screen or hatching.
  const stepped = (): string => {
    const levels = g.op('Add', [g.scalar(p.levels[0]), g.op('Mul', [s, g.scalar(p.levels[1] - p.levels[0])])]);
    const delta = g.op('Div', [g.scalar(100), levels]);
    const edgeness = g.op('Clip', [g.op('Mul', [gradL, g.scalar(scale / p.stepEdge)]), g.scalar(0), g.scalar(1)]);
    const phi = g.op('Add', [g.scalar(p.stepSoft), g.op('Mul', [edgeness, g.op('Mul', [s, g.scalar(p.stepSharp - p.stepSoft)])])]);
    const t = g.op('Div', [Lc, delta]);
    const fl = g.op('Floor', [t]);
    const frac = g.op('Sub', [t, fl]);
    const step = g.op('Div', [g.op('Tanh', [g.op('Mul', [phi, g.op('Sub', [frac, g.scalar(0.5)])])]), g.op('Tanh', [g.op('Mul', [phi, g.scalar(0.5)])])]);
    return g.op('Mul', [delta, g.op('Add', [g.op('Add', [fl, g.scalar(0.5)]), g.op('Mul', [step, g.scalar(0.5)])])]);
  };
  const Lq = stepped();

  // Only the line layer draws dark: where the flattening would sink a bright speck of the photo
  // into its dark surroundings (sky through leaves, glints on fur), the colour stays a shade
  // lighter than ink (the ink measure: L* < 30 and 15 darker than the photo).
  const floor = g.op('Min', [g.op('Sub', [L, g.scalar(p.darkenLimit)]), g.scalar(p.inkDark)]);
  const Lshade = g.op('Max', [Lq, floor]);

  if (look !== 'toon') {
    const rendered = labToRgb(g, renderLook(g, look, { L, Lshade, ab, gradL, inkUp, s, origin, scale, f: k.f }));
    const bytes = g.op('Add', [g.op('Mul', [g.op('Clip', [rendered, g.scalar(0), g.scalar(1)]), g.scalar(255)]), g.scalar(0.5)]);
    g.output(g.op('Cast', [g.op('Transpose', [bytes], { perm: [0, 2, 3, 1] })], { to: 2 }), 'cartoon', [1, 'height', 'width', 3], 'uint8');
    return g.toBytes(`ToonBot built-in ${look} look at scale ${scale}, generated by src/modelgen/builtinStyle.ts and looks.ts`);
  }

  // The stroke's edge, drawn at the output size: the smooth line map given a firm, antialiased edge.
  const stroke = k.f > 1 ? unit(g, inkUp, p.strokeEdge[0], p.strokeEdge[1]) : inkUp;
  // Ink fades out over colour that is already near black (a line there shows nothing but a
  // ragged fringe where the dark shape's edge and the stroke's edge disagree by a pixel).
  const onDark = unit(g, Lshade, p.inkDark - 16, p.inkDark);
  const alpha = g.op('Mul', [g.op('Mul', [stroke, onDark]), g.op('Add', [g.scalar(p.inkAlpha[0]), g.op('Mul', [s, g.scalar(p.inkAlpha[1] - p.inkAlpha[0])])])]);
  const gain = g.op('Add', [g.scalar(1), g.op('Mul', [s, g.scalar(p.saturation - 1)])]);
  const Lout = lerp(g, Lshade, g.scalar(p.inkL), alpha);
  const abOut = g.op('Mul', [ab, g.op('Mul', [gain, g.op('Sub', [g.scalar(1), g.op('Mul', [alpha, g.scalar(p.inkChroma)])])])]);
  const out = labToRgb(g, g.op('Concat', [Lout, abOut], { axis: 1 }));
  // Rounded to the nearest level (Cast truncates; the clip keeps it within 0..255).
  const levels255 = g.op('Add', [g.op('Mul', [g.op('Clip', [out, g.scalar(0), g.scalar(1)]), g.scalar(255)]), g.scalar(0.5)]);
  g.output(g.op('Cast', [g.op('Transpose', [levels255], { perm: [0, 2, 3, 1] })], { to: 2 }), 'cartoon', [1, 'height', 'width', 3], 'uint8');
  if (inspect) g.output(g.op('Concat', [gate, texture, ink], { axis: 1 }), 'maps', [1, 3, 'h', 'w']);
  return g.toBytes(`ToonBot built-in toon style at scale ${scale}, generated by src/modelgen/builtinStyle.ts`);
}
