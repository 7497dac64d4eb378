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
  kuwaharaRadius: [6, 10],
  kuwaharaSharpness: 2,
  kuwaharaEps: 2,
  kuwaharaSpread: 0.2,
  /** Luminance steps at strength 0 and at strength 1 (fewer = flatter). */
  levels: [14, 7],
  /** Step sharpness: on flat gradients, and on edges at full strength; gradient (L* per px) of a full edge. */
  stepSoft: 0.6,
  stepSharp: 9,
  stepEdge: 6,
  /** Chroma gain at full strength (a uniform saturation boost). */
  saturation: 1.15,
  /** Texture measure (reference px): gradient scale, and the window over which gradients are summed. */
  fineSigma: 1.5,
  poolRadius: 8,
  /** Structure gate: |Σ∇L| / (Σ|∇L| + floor, L* per reference px) from which lines are allowed, and its ramp. */
  gateFloor: 0.3,
  gateFrom: 0.25,
  gateRange: 0.35,
  /** Summed gradient (L* per reference px) where an unstructured area counts as texture, and its ramp. */
  busyFrom: 3,
  busyRange: 2,
  /** Blur (reference px) that turns texture into shading. */
  shadeSigma: 8,
  /** Guided upsampling: window radius (reference px) and epsilon (L*²). */
  guideRadius: 4,
  guideEps: 40,
  /** Ink: DoG sigma (reference px) and ratio, line length (sigma, reference px) along the edge, structure tensor sigma. */
  inkSigma: 2,
  inkRatio: 1.6,
  lineSigma: 6,
  tensorSigma: 3,
  /** DoG response (L* units) where ink starts, over how many units it reaches full, and the weak share kept by hysteresis. */
  inkThreshold: 0.31,
  inkRange: 0.4,
  weakShare: 0.5,
  /** Seeds: the stretch (sigma, reference px) over which a stroke must hold, and the mean ink it needs there. */
  seedSigma: 16,
  seedFrom: 0.45,
  /**
   * Hysteresis: how far (reference px) one linking step reaches, and the steps. Twelve steps of
   * 3 px carry a stroke 36 px along a fading edge (a cup's rim, a lemon's rind), where three left
   * it dashed (docs/BENCHMARKS.md, "Scenes and continuous outlines").
   */
  linkRadius: 3,
  linkSteps: 12,
  /** 1: a linking step reaches along the stroke's direction only; 0: every way. */
  linkAlong: 1,
  /** Local contrast (L* std over this radius, reference px) that needs no boost; its floor; the boost's range. */
  contrastRadius: 12,
  contrastReference: 12,
  contrastFloor: 3,
  boostRange: [0.7, 2],
  /** The upsampled line map's values between which a stroke's edge goes from none to full (its antialiasing). */
  strokeEdge: [0.3, 0.6],
  /** How much of the colour under a line the ink removes. */
  inkChroma: 0.2,
  /** The colour layer never sinks a pixel more than this below the photo's L* into ink-dark (below inkDark). */
  darkenLimit: 13,
  inkDark: 31,
  /** Ink lightness, and its opacity at strength 0 and 1. */
  inkL: 8,
  inkAlpha: [0.5, 1],
} as const;

export type BuiltinStyleParams = { readonly [K in keyof typeof BUILTIN_STYLE_PARAMS]: (typeof BUILTIN_STYLE_PARAMS)[K] extends readonly number[] ? readonly [number, number] : number };

/** The other built-in looks' layers (looks.ts): the same abstraction, fewer luminance steps. */
export const LOOK_STYLE_PARAMS: Record<'sketch' | 'manga' | 'comic', BuiltinStyleParams> = {
  // The sketch keeps the short linking: a pencil's line may break, and with the longer one the
  // likeness judge lost an eye of a small face (docs/BENCHMARKS.md, "Scenes and continuous outlines").
  sketch: { ...BUILTIN_STYLE_PARAMS, levels: [12, 8], linkSteps: 3, linkAlong: 0 },
  manga: { ...BUILTIN_STYLE_PARAMS, levels: [10, 6] },
  comic: { ...BUILTIN_STYLE_PARAMS, levels: [8, 4], stepSharp: 14, saturation: 1 },
};

/** The looks the face pass draws in (faceStyle.ts). */
export type FaceLook = 'toon' | 'sketch' | 'manga' | 'comic';

/**
 * The face pass (faceStyle.ts): reference px in DCT-Net's 288 px aligned crop (eyes 68 px apart,
 * an eye about 30 px wide, an iris about 12), L* units. Chosen by looking at the faces and by the
 * likeness judge (scripts/likeness/judge.py: faces and eyes an independent detector still finds).
 */
const FACE_BASE = {
  /** Kuwahara window radius per pass: under half an iris, so eyes and lips keep their shape. */
  kuwaharaRadius: [3, 4],
  /** Skin: blurred with this sigma away from the features (edges of this strength, L* per px, dilated this far). */
  skinSigma: 6,
  featureEdge: [2, 5],
  featureReach: 4,
  /** Extra smoothing of a*, b* (skin one colour). */
  chromaSigma: 5,
  /** Luminance steps at strength 0 and 1; step sharpness on the features, on edges and on skin; gradient (L* per px) of a full edge. */
  levels: [9, 5],
  stepSoft: 8,
  stepSharp: 10,
  stepEdge: 4,
  skinStep: 20,
  /** Broad shadows (L* blurred with this sigma) below this L* are lifted by this share of the gap (eye sockets, under the nose). */
  liftSigma: 10,
  liftBelow: 55,
  lift: 0.5,
  /** Where shadows are lifted: 0 everywhere; 1 on the skin's hue (skinHued: cosine to the skin's a*b* from..to, chroma a share of the skin's from..to); 2 on the skin's hue above the upper lip (not on a beard). */
  liftWhere: 2,
  /** With liftWhere 2, the share of the lift that still applies below the upper lip. */
  liftChin: 0.5,
  hueCos: [0.6, 0.85],
  hueChroma: [0.2, 0.4],
  /** The eyes' contrast at the default strength (L* around its mean over this sigma, times this). */
  eyeSigma: 6,
  eyeContrast: 1.8,
  /** ... and this for what is darker than that mean (the iris, the lash line). */
  eyeDarkContrast: 2.4,
  /** How much of the first pass's detail the eyes keep instead of the skin's flattening (0..1). */
  eyeDetail: 1,
  /** Sketch, manga: an eye's pixel this much (L*) darker than its surroundings is drawn solid (the iris); 0: not used. */
  eyeBlack: 0,
  /** Toon, comic: the share of its colour (where of the skin's hue) that an eye's dark (lashes, the lid's crease, a socket in deep shadow) gives up, from 15 to 40 L* under the skin's; 0: none. */
  eyeDarkFade: 0,
  /** Cel skin (toon, comic; 0: off): the share painted flat; the a*b* distance from the skin's colour, and the shares of its L* above and below it, that still count as skin; light tone above it (or the mean of the lit half of the skin, where higher), shadow tone below, and where the shadow starts. */
  celSkin: 0,
  celChroma: 9,
  celAbove: 0.26,
  celBelow: 0.4,
  celLight: 3,
  celShadow: 12,
  celShadowAt: 8,
  /** ... and round the eyes and brows (the shadow tone from the skin's mean there, its small shapes kept). */
  celEyeShadowAt: 0,
  celEyeShadow: 6,
  /** ... and round the eyes and brows this share of the skin keeps its own drawing (0: all painted). */
  celEyeKeep: 0.5,
  /** ... and a cast shadow of the skin's hue on the plain skin or the nose, above the upper lip, however dark, is skin in shadow (1) or keeps its drawing (0). */
  celCast: 1,
  /** ... and on the plain skin (away from the features) the chroma and lighter limits this share wider. */
  celPlain: 0.7,
  /** Islands of the cel's light or shadow tone narrower than twice this (reference px) join the tone round them; 0: kept. */
  celClean: 5,
  /** ... and its corners rounded: the shape blurred with this sigma (reference px; 0: not) and cut again at half, over ±celRoundEdge. */
  celRound: 4,
  celRoundEdge: 0.1,
  /** Over the brows (faceStyle's BROW_ELLIPSES), what is this much (L*, over 6 more) darker than the skin's mean is brow: not lifted, not painted as skin, and drawn browDeepen darker at the default strength. */
  browFrom: 8,
  browDeepen: 10,
  /** ... or this much (L*, over 6 more) darker than the forehead just above it (0: not used; toon, comic). */
  browAbove: 0,
  /** A pixel this much (L*, from..to) darker than its broad surroundings is a feature, not shadow: not lifted. */
  featureDark: [8, 20],
  /** Away from the eyes, nose and mouth a stroke needs this many times the edge (wrinkles are left out). */
  awayThreshold: 3.5,
  /** ... and this many times more on the smallest faces (72 px crops), in proportion above it. */
  smallAway: 1,
  /** The ink threshold is this share lower on the smallest faces (72 px crops), in proportion above it (0: not): a face in a crowd keeps firm strokes for its eyes. */
  smallInk: 0,
  /** The steps never sink a pixel more than this below the (lifted) photo. */
  darkenLimit: 9,
  /** Ink: DoG sigma and ratio; contrast window, the std that needs no boost, the largest boost. */
  inkSigma: 0.9,
  inkRatio: 1.7,
  contrastRadius: 12,
  contrastReference: 10,
  boostMin: 0.45,
  boostMax: 1.8,
  /** Specks: the window (radius) over which a stroke needs this mean ink around it to be kept. */
  speckRadius: 3,
  /** Gaps in a stroke along the mouth up to twice this (reference px) are closed (teeth on a smile). */
  toothWidth: 5,
  speckFrom: 0.12,
  /** DoG response where ink starts and over how much it reaches full; the stroke's antialiased edge. */
  inkThreshold: 0.55,
  inkRange: 0.9,
  strokeEdge: [0.15, 0.55],
  /** Ink lightness and its opacity at strength 0 and 1; chroma gain at full strength. */
  inkL: 10,
  inkAlpha: [0.55, 0.95],
  saturation: 1.1,
  /** Tone (sketch shading, manga grey) from this L* over this range, up to this much ink; manga's solid black below blackFrom. */
  toneFrom: 55,
  toneRange: 35,
  toneMax: 0.45,
  blackFrom: 20,
  /** Sketch: the face is lifted by this share of its skin's L* distance from the paper (L* 96) before the tone (0: not). */
  skinPaper: 0,
  /** Manga: the face's tones are read as if its skin were at this L* (0: as they are), moved by at most skinShiftMax. */
  skinAt: 0,
  skinShiftMax: 20,
  /** Sketch, manga: round the eyes and brows the tone starts from this L* instead (0: toneFrom). */
  eyeToneFrom: 0,
  /** Sketch, manga: the plain skin's tone (cheeks, forehead) smoothed with this sigma (reference px; 0: not). */
  plainSmooth: 0,
  /** ... and nowhere lighter than its mean at this many times that sigma (0: no limit; faceStyle's plainTone). */
  plainWide: 0,
  /**
   * ... and (1) over the skin up to the eyes, brows, nose and mouth themselves, the cheeks under the
   * eyes included; 0: only away from the eyes with their brows (faceStyle's FEATURE_ELLIPSES).
   */
  washTight: 0,
} as const;

type Widen<T> = { readonly [K in keyof T]: T[K] extends readonly number[] ? readonly [number, number] : number };
export type FaceParams = Widen<typeof FACE_BASE>;

export const FACE_PARAMS: { referenceSide: number } & Record<FaceLook, FaceParams> = {
  referenceSide: 288,
  toon: { ...FACE_BASE, celSkin: 1, smallInk: 0.3, eyeDarkFade: 0.45, browAbove: 7 },
  comic: { ...FACE_BASE, celSkin: 1, smallInk: 0.3, eyeDarkFade: 0.45, levels: [8, 5], stepSharp: 10, saturation: 1.35, inkThreshold: 0.45, inkAlpha: [0.7, 1], browAbove: 7 },
  // Graphite pressed harder on a face than on the page (the page's darkest is L* 36): eyes and
  // lips must read from arm's length.
  sketch: {
    ...FACE_BASE,
    inkL: 24,
    inkAlpha: [0.85, 1],
    toneFrom: 90,
    toneRange: 60,
    toneMax: 1,
    eyeBlack: 14,
    skinPaper: 0.6,
    liftWhere: 1,
    eyeToneFrom: 100,
    plainSmooth: 4,
    plainWide: 6,
    washTight: 1,
  },
  // Manga: black ink, white paper and a grey wash for the shade. The iris is filled black where it
  // is darker than round it, its catchlight left white. The face is toned as if its skin were at
  // L* 80 (skinAt; a face in dim or warm light is not a grey mask, a pale one not all paper), its
  // lit skin white, and round the eyes and brows the tone starts nearer the skin (eyeToneFrom): the
  // sockets and the brow's shadow are what makes an eye read from arm's length. With a fixed
  // threshold the faces were white masks with thin line eyes (the judge kept 46 of 94 eyes on real
  // group photos; docs/BENCHMARKS.md, "Manga's faces in tone").
  manga: { ...FACE_BASE, inkAlpha: [0.8, 1], toneFrom: 84, toneRange: 34, toneMax: 0.5, blackFrom: 42, eyeBlack: 12, skinAt: 80, eyeToneFrom: 96, plainSmooth: 4, plainWide: 6 },
};
