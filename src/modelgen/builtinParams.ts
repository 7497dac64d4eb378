/**
 * The built-in style's parameters: reference radii (at a 1024 px output), thresholds and weights,
 * for the whole picture and for the portrait's head pass. builtinStyle.ts builds graphs from them;
 * scripts/style-report.ts tries other values with `--set`.
 */

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
  /** Texture measure (reference px): gradient scale, and the window over which gradients are summed. */
  fineSigma: 1.5, poolRadius: 8,
  /** Structure gate: |Σ∇L| / (Σ|∇L| + floor, L* per reference px) from which lines are allowed, and its ramp. */
  gateFloor: 0.3, gateFrom: 0.25, gateRange: 0.35,
  /** Summed gradient (L* per reference px) where an unstructured area counts as texture, and its ramp. */
  busyFrom: 3, busyRange: 2,
  /** Blur (reference px) that turns texture into shading. */
  shadeSigma: 8,
  /** Guided upsampling: window radius (reference px) and epsilon (L*²). */
  guideRadius: 4, guideEps: 40,
  /** Ink: DoG sigma (reference px) and ratio, line length (sigma, reference px) along the edge, structure tensor sigma. */
  inkSigma: 2, inkRatio: 1.6, lineSigma: 6, tensorSigma: 3,
  /** DoG response (L* units) where ink starts, over how many units it reaches full, and the weak share kept by hysteresis. */
  inkThreshold: 0.31, inkRange: 0.4, weakShare: 0.5,
  /** Seeds: the stretch (sigma, reference px) over which a stroke must hold, and the mean ink it needs there. */
  seedSigma: 16, seedFrom: 0.45,
  /** Hysteresis: how far (reference px) one linking step reaches, and the steps. */
  linkRadius: 3, linkSteps: 3,
  /** Local contrast (L* std over this radius, reference px) that needs no boost; its floor; the boost's range. */
  contrastRadius: 12, contrastReference: 12, contrastFloor: 3, boostRange: [0.7, 2],
  /** The upsampled line map's values between which a stroke's edge goes from none to full (its antialiasing). */
  strokeEdge: [0.3, 0.6],
  /** How much of the colour under a line the ink removes. */
  inkChroma: 0.2,
  /** The colour layer never sinks a pixel more than this below the photo's L* into ink-dark (below inkDark). */
  darkenLimit: 13, inkDark: 31,
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
  inkSigma: 1.4,
  inkThreshold: 1.1,
  boostRange: [0.7, 1.4],
};

/** The other built-in looks' layers (looks.ts): the same abstraction, fewer luminance steps. */
export const LOOK_STYLE_PARAMS: Record<'sketch' | 'manga' | 'comic', BuiltinStyleParams> = {
  sketch: { ...BUILTIN_STYLE_PARAMS, levels: [12, 8] },
  manga: { ...BUILTIN_STYLE_PARAMS, levels: [10, 6] },
  comic: { ...BUILTIN_STYLE_PARAMS, levels: [8, 4], stepSharp: 14, saturation: 1 },
};
