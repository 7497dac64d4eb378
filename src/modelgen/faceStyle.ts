/**
 * The face pass of every built-in look: a graph that draws one aligned face crop at the face's own
 * scale, the way a cartoonist draws a face. Its radii are shares of the face (reference px in
 * DCT-Net's 288 px crop, where the eyes are 68 px apart), not of the output: the engine cuts each
 * face at the variant side nearest the face's own resolution, so a 50 px face in a group photo and
 * a 900 px face in a portrait are drawn alike.
 *
 *   crop ─ CIELab ─ Kuwahara (eye-sized windows) ─┬─ soft luminance steps, never darker than the
 *                                                 │  photo by more than a little (no dark blobs)
 *                                                 └─ lines: the dark side of a narrow DoG (lids,
 *                                                    iris, brows, nostrils, the lips' parting),
 *                                                    weighted by local contrast
 *
 * Unlike the whole-frame graph there is no texture gate and no long-stroke test: a face's
 * features are short shapes (an eye is a few strokes), and skin, once smoothed at this scale, has
 * no texture left to draw. The looks render the same layers without screen patterns: a face in
 * manga or a sketch is drawn in line and flat tone (dots or hatching laid over a small face
 * swallow its eyes). One exception: manga's hair above a face (above the brows, outside the
 * face's oval, where it is dark) takes the page's own screentone, on the page's grid, told where
 * the crop sits by the `placement` input (not on the smallest crops, where its dots are coarse).
 *
 * Input: 8-bit RGB pixels, NHWC ("image", uint8 [1, S, S, 3]), the strength ("strength", float
 * [1]) and, in manga's graphs, the crop's place on the page ("placement", float [5]: the crop→frame
 * similarity a, b, tx, ty and the page's scale). Output: the drawn face ("cartoon"), same type and
 * layout.
 */
import { FACE_CROP_SHIFT } from '../engine/faces/align.ts';
import { GraphBuilder } from './GraphBuilder.ts';
import { gaussianBlur, boxMean } from './filters.ts';
import { FACE_PARAMS, type FaceLook, type FaceParams } from './builtinParams.ts';
import { crossHatching, dotScreen, LOOK_PARAMS, sketchDarkness, stripes } from './looks.ts';
import { channels, gradientMagnitude, kuwahara, labToRgb, lerp, pixelCount, rgbToLab, sumChannels, unit } from './styleLayers.ts';

/** Crop sides the face graph is built for, √2 apart around DCT-Net's 288 (see FACE_PARAMS.referenceSide). */
export const FACE_SIDES = [72, 102, 144, 204, 288, 408, 576] as const;

/** The face graph for crops of `side`² (a FACE_SIDES entry), in one look. */
export function buildFaceStyle(side: number, look: FaceLook): Uint8Array {
  const p = FACE_PARAMS[look];
  const scale = side / FACE_PARAMS.referenceSide;
  const r = (reference: number) => Math.max(1, Math.round(reference * scale));
  const sigma = (reference: number, min: number) => Math.max(min, reference * scale);
  const g = new GraphBuilder(`toonbot_face_${look}`);
  const pixelsIn = g.input('image', [1, 'height', 'width', 3], 'uint8');
  const x = g.op('Mul', [g.op('Transpose', [g.op('Cast', [pixelsIn], { to: 1 })], { perm: [0, 3, 1, 2] }), g.scalar(1 / 255)]);
  const s = g.op('Clip', [g.input('strength', [1]), g.scalar(0), g.scalar(1)]);

  const lab = rgbToLab(g, x);
  // Skin made flat at the scale of the face, features kept: the windows are smaller than an iris.
  const k1 = kuwahara(g, lab, r(p.kuwaharaRadius[0]), 2, 2, 0.2);
  const k2 = kuwahara(g, k1, r(p.kuwaharaRadius[1]), 2, 2, 0.2);
  // Skin as one or two flat tones: away from the features (a dilated map of strong edges) the
  // picture is blurred at the scale of a cheek; the features keep the eye-sized passes.
  const featureEdges = unit(g, g.op('Mul', [gradientMagnitude(g, channels(g, k2, 0, 1)), g.scalar(1 / Math.max(scale, 0.5))]), p.featureEdge[0], p.featureEdge[1]);
  const fr = r(p.featureReach);
  const features = gaussianBlur(g, g.op('MaxPool', [featureEdges], { kernel_shape: [2 * fr + 1, 2 * fr + 1], pads: [fr, fr, fr, fr], strides: [1, 1] }), sigma(p.featureReach / 2, 0.6), 1);
  // The skin's own blur: a normalised convolution over skin only (features carry no weight), so
  // an eye's darkness does not leak into the cheek around it; noisy skin near a step's edge then
  // lands on one side of it, not on both in patches.
  const skinWeight = g.op('Sub', [g.scalar(1), features]);
  const skinSigma = sigma(p.skinSigma, 1);
  const skinBlur = weightedBlur(g, k2, skinWeight, skinSigma, 3);
  const skin = lerp(g, skinBlur, k2, features);
  // Colour calms down more than light: a*, b* smoothed further (skin one colour, lips still red).
  const abSmooth = smoothField(g, channels(g, skin, 1, 3), sigma(p.chromaSigma, 0.6), 2);
  const flat = g.op('Concat', [channels(g, skin, 0, 1), abSmooth], { axis: 1 });
  // The eyes themselves (the aligned crop puts them at DCT-Net's reference points) keep the first
  // pass's detail, the iris against the white, instead of the skin's flattening.
  const eyes = ellipsePrior(g, channels(g, lab, 0, 1), side, EYE_ELLIPSES);
  const flatEyes = p.eyeDetail > 0 ? lerp(g, flat, k1, g.op('Mul', [eyes, g.scalar(p.eyeDetail)])) : flat;
  const smooth = lerp(g, lerp(g, lab, k1, unit(g, s, 0, 0.3)), flatEyes, unit(g, s, 0.3, 0.7));
  // And more contrast than the photo gives them: an iris, a lid and the white read from arm's
  // length, as a cartoonist draws them, and a small face's eyes do not melt into the skin.
  const Lsmooth = channels(g, smooth, 0, 1);
  const around = smoothField(g, Lsmooth, sigma(p.eyeSigma, 1), 1);
  const eyeGain = (contrast: number) => g.op('Add', [g.scalar(1), g.op('Mul', [eyes, g.op('Mul', [s, g.scalar((contrast - 1) / 0.7)])])]);
  const gain = eyeGain(p.eyeContrast);
  const fromAround = g.op('Sub', [Lsmooth, around]);
  // An eye's darks (the iris, the lash line) take more than its lights (the white, a lit lower
  // lid): pushed as far as the darks, the lights were white blobs beside and under the iris; at
  // the lights' gain, a small face's iris melted into its lids.
  const drawn = g.op('Add', [g.op('Mul', [g.op('Relu', [fromAround]), gain]), g.op('Mul', [g.op('Min', [fromAround, g.scalar(0)]), eyeGain(p.eyeDarkContrast)])]);
  const Ls = g.op('Add', [around, drawn]);
  const ab = channels(g, smooth, 1, 3);

  // Soft luminance steps (as in the whole-frame graph), sharper on edges.
  const gradL = gradientMagnitude(g, Ls);
  const levels = g.op('Add', [g.scalar(p.levels[0]), g.op('Mul', [s, g.scalar(p.levels[1] - p.levels[0])])]);
  const delta = g.op('Div', [g.scalar(100), levels]);
  const edgeness = g.op('Clip', [g.op('Mul', [gradL, g.scalar(1 / (p.stepEdge * Math.max(scale, 0.5)))]), g.scalar(0), g.scalar(1)]);
  // Skin gets firm steps (flat tones, as a cartoonist paints it); the features soft ones, so an
  // eye keeps its lid, iris and white as tones of their own.
  const soft = lerp(g, g.scalar(p.skinStep), g.scalar(p.stepSoft), features);
  const phi = g.op('Add', [soft, g.op('Mul', [edgeness, g.op('Mul', [s, g.scalar(p.stepSharp - p.stepSoft)])])]);
  const t = g.op('Div', [Ls, delta]);
  const fl = g.op('Floor', [t]);
  const step = g.op('Div', [g.op('Tanh', [g.op('Mul', [phi, g.op('Sub', [g.op('Sub', [t, fl]), g.scalar(0.5)])])]), g.op('Tanh', [g.op('Mul', [phi, g.scalar(0.5)])])]);
  const Lq = g.op('Mul', [delta, g.op('Add', [g.op('Add', [fl, g.scalar(0.5)]), g.op('Mul', [step, g.scalar(0.5)])])]);
  // Shadows on a face are drawn light: the steps never sink a pixel far below the photo, and the
  // darkest shadows (eye sockets, under the nose) are lifted toward the skin (no dark blobs).
  // The lift follows the broad shading (L* blurred at the scale of a cheek), so that a socket's
  // shadow is lifted while an iris or a pupil inside it keeps its contrast.
  const broad = smoothField(g, Ls, sigma(p.liftSigma, 1), 1);
  // Pixels much darker than their surroundings (a pupil, a lid's line, a nostril) are features,
  // not shadow: they are not lifted.
  const local = g.op('Sub', [g.scalar(1), unit(g, g.op('Sub', [broad, Ls]), p.featureDark[0], p.featureDark[1])]);
  // The face's oval (brows to chin, cheek to cheek), where its skin is measured and its glints
  // painted, and its skin colour (over the oval less the features).
  const prior = ellipsePrior(g, Ls, side, FEATURE_ELLIPSES);
  const oval = ellipsePrior(g, Ls, side, [FACE_ELLIPSE]);
  const skinMean = skinColour(g, Ls, ab, g.op('Mul', [oval, g.op('Sub', [g.scalar(1), prior])]));
  // Only shadows on the skin are lifted, where a cartoonist draws them light: in the skin's own
  // hue, and (liftWhere 2) less below the upper lip, where a beard grows (a goatee is the skin's
  // hue in shadow: only its place tells it from a shadow). Hair, a dark background beside the
  // face and clothes keep their darkness (lifted, black hair and a night sky came out grey in an
  // oval round every face, and a goatee as a light smear).
  const skinHue = skinHued(g, ab, skinMean, p);
  // The brows: what is darker than the skin there is a brow (or the hair over it), drawn as a
  // shape of its own. Lifted with the skin's shadows and painted in its cel tones, a brow a little
  // darker than a dim or dark face's skin came out as a faint patch or not at all.
  // Or what is darker than the forehead just above it (the lightest within BROW_ABOVE reference px
  // up): on a face lit from one side the skin's mean is the shade's, and the lit side's brow, no
  // darker than that mean, was painted and lifted as skin, a faint patch over the eye.
  const underSkin = unit(g, g.op('Sub', [g.op('Sub', [skinMean.L, Ls]), g.scalar(p.browFrom)]), 0, 6);
  const forehead = () => g.op('MaxPool', [Ls], { kernel_shape: [r(BROW_ABOVE) + 1, 1], pads: [r(BROW_ABOVE), 0, 0, 0], strides: [1, 1] });
  const underForehead = p.browAbove > 0 ? g.op('Max', [underSkin, unit(g, g.op('Sub', [g.op('Sub', [forehead(), Ls]), g.scalar(p.browAbove)]), 0, 6)]) : underSkin;
  const brows = g.op('Mul', [ellipsePrior(g, Ls, side, BROW_ELLIPSES), underForehead]);
  // What manga lifts with the skin: the skin's hue, but outside the oval not what is far darker
  // than the skin (a dark warm background or the soft dark edge round a head has the skin's hue;
  // lifted with the skin, it was a grey glow round the face on the page's black).
  const skinLike = g.op('Mul', [skinHue, g.op('Max', [oval, unit(g, g.op('Sub', [Ls, g.op('Sub', [skinMean.L, g.scalar(NOT_SKIN_UNDER)])]), 0, 15)])]);
  const liftable =
    p.liftWhere === 0 ? undefined : p.liftWhere === 1 ? skinHue : g.op('Mul', [skinHue, g.op('Add', [g.scalar(p.liftChin), g.op('Mul', [aboveLip(g, Ls, side), g.scalar(1 - p.liftChin)])])]);
  const liftRaw = g.op('Mul', [g.op('Mul', [g.op('Relu', [g.op('Sub', [g.scalar(p.liftBelow), broad])]), g.scalar(p.lift)]), local]);
  const lift = g.op('Mul', [liftable ? g.op('Mul', [liftRaw, liftable]) : liftRaw, g.op('Sub', [g.scalar(1), brows])]);
  // Where the skin is painted in cel tones (toon, comic), what is darker than the skin's shadow
  // tone is lifted no higher than it: the dark hair or shade at a temple has the skin's hue and was
  // lifted above it, a pale band between the hair and the painted cheek. Above the shadow tone the
  // lift comes back over as many L* as it lifts (continuous: min(L + lift, max(cap, 2L − cap))),
  // so the teeth and the whites of a dim face are lifted as before.
  const liftedFree = g.op('Add', [Ls, lift]);
  const cap = g.op('Sub', [skinMean.L, g.scalar(p.celShadow)]);
  const lifted = p.celSkin > 0 ? g.op('Min', [liftedFree, g.op('Max', [cap, g.op('Sub', [g.op('Mul', [Ls, g.scalar(2)]), cap])])]) : liftedFree;
  const Lshade = g.op('Max', [g.op('Add', [Lq, g.op('Sub', [lifted, Ls])]), g.op('Sub', [lifted, g.scalar(p.darkenLimit)])]);

  // Lines: the dark side of a narrow DoG, with a contrast boost so that a face in soft light gets
  // the same strokes as one in hard light.
  const inner = sigma(p.inkSigma, 0.6);
  // The DoG reads the photo's own L* (first Kuwahara pass: noise gone, soft edges still soft):
  // a lid or a brow is a sharp edge there and gets a stroke, while the soft edge of a shadow (the
  // side of a nose, a cheek), which the later passes sharpen into a tone step, does not.
  const Lline = channels(g, k1, 0, 1);
  const dog = g.op('Sub', [gaussianBlur(g, Lline, inner * p.inkRatio, 1), gaussianBlur(g, Lline, inner, 1)]);
  const R = r(p.contrastRadius);
  const mean = boxMean(g, Lline, R, R, R, R);
  const std = g.op('Sqrt', [g.op('Relu', [g.op('Sub', [boxMean(g, g.op('Mul', [Lline, Lline]), R, R, R, R), g.op('Mul', [mean, mean])])])]);
  const boost = g.op('Clip', [g.op('Div', [g.scalar(p.contrastReference), g.op('Add', [std, g.scalar(3)])]), g.scalar(p.boostMin), g.scalar(p.boostMax)]);
  const response = g.op('Mul', [g.op('Relu', [dog]), boost]);
  // Fewer lines at low strength, more at high (the threshold pivots around the default 0.7).
  // The crop is aligned: the eyes, nose and mouth are where DCT-Net's reference points put them.
  // Away from them (cheeks, forehead, the folds of an older face) a stroke needs a stronger edge:
  // a cartoonist draws the features and leaves wrinkles out.
  // A small face (crops under 288) is drawn with fewer lines, as a face in a crowd is: away from
  // the features only the strongest edges, none at the smallest crop. In toon and comic its
  // strokes start lower (smallInk): at a few px an eye is one or two strokes, and a faint one
  // melts into the flat skin from arm's length.
  const small = Math.min(1, Math.max(0, (1 - scale) / 0.75));
  const awayThreshold = p.awayThreshold * (1 + p.smallAway * small);
  const away = g.op('Add', [g.scalar(awayThreshold), g.op('Mul', [prior, g.scalar(1 - awayThreshold)])]);
  const threshold = g.op('Mul', [
    g.op('Mul', [g.scalar(p.inkThreshold * (1 - p.smallInk * small)), g.op('Max', [g.op('Add', [g.scalar(1 + 0.8 * 0.7), g.op('Mul', [s, g.scalar(-0.8)])]), g.scalar(0.6)])]),
    away,
  ]);
  const dashes = g.op('Clip', [g.op('Div', [g.op('Sub', [response, threshold]), g.scalar(p.inkRange)]), g.scalar(0), g.scalar(1)]);
  // The lips' parting is one stroke: the gaps between teeth (dark lines a few px apart on a smile)
  // are closed along the mouth, a morphological closing across the width of a tooth.
  const mouth = ellipsePrior(g, Ls, side, [MOUTH_ELLIPSE]);
  const k = r(p.toothWidth);
  const across = { kernel_shape: [1, 2 * k + 1], pads: [0, k, 0, k], strides: [1, 1] };
  const closed = g.op('Neg', [g.op('MaxPool', [g.op('Neg', [g.op('MaxPool', [dashes], across)])], across)]);
  const raw = lerp(g, dashes, closed, mouth);
  // No specks: a stroke is kept where enough ink surrounds it (a freckle, a pore or a glint on
  // hair is a dot; a lid, a brow or the lips' parting is a stroke).
  const sr = r(p.speckRadius);
  const support = unit(g, boxMean(g, raw, sr, sr, sr, sr), p.speckFrom, p.speckFrom * 2);
  // A firm, antialiased stroke edge.
  const ink = unit(g, g.op('Mul', [raw, support]), p.strokeEdge[0], p.strokeEdge[1]);

  // How much darker than its surroundings each pixel of an eye is (the iris, the pupil, the lash line).
  const eyeDark = g.op('Mul', [eyes, g.op('Relu', [g.op('Sub', [around, Ls])])]);
  const glint = catchlight(g, channels(g, lab, 0, 1), broad, eyes, side);
  const browsEyes = ellipsePrior(g, Ls, side, FEATURE_ELLIPSES.slice(0, 2));
  // The plain skin: the oval and the forehead, less the eyes with brows, the nose and the mouth.
  const faceForehead = ellipsePrior(g, Ls, side, [FACE_ELLIPSE, FOREHEAD_ELLIPSE]);
  const plain = g.op('Mul', [faceForehead, g.op('Sub', [g.scalar(1), prior])]);
  const cel =
    p.celSkin > 0
      ? celSkin(
          g,
          {
            L: Lshade,
            Lsmooth: Ls,
            clean: r(p.celClean),
            round: p.celRound * scale,
            plain,
            browsEyes,
            // Where a shadow of the skin's hue is a cast shadow, however dark: the plain skin and
            // the nose down to the lip, above the upper lip (a beard below it has that hue too).
            castable: g.op('Mul', [g.op('Mul', [skinHue, aboveLip(g, Ls, side)]), ellipsePrior(g, Ls, side, [NOSE_ELLIPSE])]),
            ab,
            s,
            // Not the eyes' openings (the whites) nor the mouth (the teeth); the lids' highlights
            // round an opening are (left in their own drawing, the light under the astronaut's
            // brow was a white dash, and Hopper's lower lids had pale ovals).
            glintable: g.op('Mul', [oval, g.op('Sub', [g.scalar(1), g.op('Max', [ellipsePrior(g, Ls, side, EYE_OPENINGS), mouth])])]),
            brows,
          },
          skinMean,
          look,
        )
      : { L: Lshade, ab };
  // The dark around an eye in the skin's colour: in warm light a socket's shadow and the lashes
  // are a saturated red-brown in the photo (Hopper: L* 19-26, a* 28-31), and painted as such they
  // read as red almonds round the eyes. A cartoonist draws them in the ink's dark brown: a
  // skin-hued colour fades the further under the skin's light it is (an iris's blue or green stays).
  const eyeAb = p.eyeDarkFade > 0 ? fadeSkinHue(g, cel.ab, skinMean.ab, g.op('Mul', [eyes, g.op('Mul', [unit(g, g.op('Sub', [skinMean.L, cel.L]), 15, 40), g.scalar(p.eyeDarkFade)])])) : cel.ab;
  // Not on the smallest faces: there the page's dots are coarse against the face (a 50 px face's
  // fringe in dots hid its forehead, and the judge lost the face).
  const screen = look === 'manga' && small < 1 ? pageScreen(g, Ls, side, 1 - small) : undefined;
  // Sketch: beyond the skin, the page's own hatching, stroke for stroke (its mean tone made a
  // grey fog where the blend met the page's strokes, a ring round a large face).
  const page = look === 'sketch' && small < 1 ? pagePlace(g, Ls) : undefined;
  // ... and a brow is drawn darker than the photo has it, as a cartoonist draws it (with strength).
  const browL = g.op('Sub', [cel.L, g.op('Mul', [brows, g.op('Mul', [unit(g, s, 0.3, 0.7), g.scalar(p.browDeepen)])])]);
  const lab255 = renderFace(g, look, {
    Lshade: browL,
    ab: eyeAb,
    ink,
    gradL,
    s,
    scale,
    eyeDark,
    glint,
    skinL: skinMean.L,
    skinHue,
    skinLike,
    oval,
    browsEyes,
    // Sketch washes the skin up to the features themselves: left out of the wash with the eyes'
    // wide ellipses, a dim or flash-lit cheek under an eye kept its lighter patches, white discs
    // on the face's grey.
    plain: p.washTight > 0 ? g.op('Mul', [faceForehead, g.op('Sub', [g.scalar(1), ellipsePrior(g, Ls, side, [...EYE_ELLIPSES, ...BROW_ELLIPSES, NOSE_ELLIPSE, MOUTH_ELLIPSE])])]) : plain,
    plainSigma: p.plainSmooth * scale,
    plainWide: p.plainWide,
    pageShare: 1 - small,
    ...(screen ? { screen } : {}),
    ...(page ? { page } : {}),
  });
  const rgb = labToRgb(g, lab255);
  const bytes = g.op('Add', [g.op('Mul', [g.op('Clip', [rgb, g.scalar(0), g.scalar(1)]), g.scalar(255)]), g.scalar(0.5)]);
  g.output(g.op('Cast', [g.op('Transpose', [bytes], { perm: [0, 2, 3, 1] })], { to: 2 }), 'cartoon', [1, 'height', 'width', 3], 'uint8');
  return g.toBytes(`ToonBot built-in ${look} face pass for ${side}px crops, generated by src/modelgen/faceStyle.ts`);
}

/**
 * Where the features are in the aligned crop, 0..1, from DCT-Net's reference points (288 px crop):
 * soft ellipses over each eye with its brow, the nose and the mouth. Computed from the pixel
 * coordinates in the graph (a stored map would be ~330 KB per graph).
 */
function ellipsePrior(g: GraphBuilder, like: string, side: number, ellipses: readonly (readonly [number, number, number, number])[]): string {
  const k = side / FACE_PARAMS.referenceSide;
  // Pixel centres in reference px: a row [1, 1, 1, W] and a column [1, 1, H, 1].
  const X = g.op('Mul', [g.op('Sub', [pixelCount(g, like, 'x'), g.scalar(0.5)]), g.scalar(1 / k)]);
  const Y = g.op('Mul', [g.op('Sub', [pixelCount(g, like, 'y'), g.scalar(0.5)]), g.scalar(1 / k)]);
  let prior = '';
  for (const [cx, cy, rx, ry] of ellipses) {
    const dx = g.op('Mul', [g.op('Sub', [X, g.scalar(cx)]), g.scalar(1 / rx)]);
    // The crops hold the face FACE_CROP_SHIFT px higher than DCT-Net's reference.
    const dy = g.op('Mul', [g.op('Sub', [Y, g.scalar(cy - FACE_CROP_SHIFT)]), g.scalar(1 / ry)]);
    const d2 = g.op('Add', [g.op('Mul', [dx, dx]), g.op('Mul', [dy, dy])]);
    // 1 inside, fading to 0 from 0.7 to 1.3 of the radius.
    const e = unit(g, g.op('Sub', [g.scalar(1.69), d2]), 0, 1.69 - 0.49);
    prior = prior ? g.op('Max', [prior, e]) : e;
  }
  return prior;
}

/** The page's screentone, seen from the crop: its frame coordinates, its period, and where the hair is. */
interface PageScreen {
  /** Frame pixel coordinates of each crop pixel, [1, 1, S, S]. */
  X: string;
  Y: string;
  /** The page's dot period in frame px, [1]. */
  period: string;
  /** 1 on the hair above the face (above the brows, outside the face's oval), 0 on the face. */
  hair: string;
}

/**
 * Where the crop's pixels are on the page (the graph's `placement` input: the crop→frame similarity
 * and the page's scale, ModelIO.placement), so that the face pass lays the page's own screentone
 * on the hair, dot for dot: with the face's one flat grey there, dark hair came out as a light
 * smear where the blend met the page's near-black dots at the hairline.
 */
function pageScreen(g: GraphBuilder, like: string, side: number, share: number): PageScreen {
  const { X, Y, pageScale } = pagePlace(g, like);
  // Above the brows (reference px of the crop, which holds the face FACE_CROP_SHIFT higher), and
  // outside the face's oval: the forehead's skin stays the face pass's.
  const above = unit(g, g.op('Sub', [g.scalar(HAIR_BELOW - FACE_CROP_SHIFT), referenceY(g, like, side)]), 0, 24);
  const hair = g.op('Mul', [g.op('Mul', [above, g.scalar(share)]), g.op('Sub', [g.scalar(1), ellipsePrior(g, like, side, [FACE_ELLIPSE])])]);
  return { X, Y, period: g.op('Mul', [pageScale, g.scalar(LOOK_PARAMS.manga.dotPeriod)]), hair };
}

/** Where each crop pixel is on the page (frame px), and the page's scale (its graph's side / 1024), [1]. */
interface PagePlace {
  X: string;
  Y: string;
  pageScale: string;
}

/** The crop's pixels on the page, from the graph's `placement` input (see pageScreen). */
function pagePlace(g: GraphBuilder, like: string): PagePlace {
  const placement = g.input('placement', [5]);
  const at = (i: number) => g.op('Slice', [placement, g.int64s('s', [i]), g.int64s('e', [i + 1]), g.int64s('a', [0])]);
  // Crop pixel indices: a row [1, 1, 1, S] and a column [1, 1, S, 1].
  const x = g.op('Sub', [pixelCount(g, like, 'x'), g.scalar(1)]);
  const y = g.op('Sub', [pixelCount(g, like, 'y'), g.scalar(1)]);
  const [a, b, tx, ty, pageScale] = [0, 1, 2, 3, 4].map(at) as [string, string, string, string, string];
  const X = g.op('Add', [g.op('Add', [g.op('Mul', [a, x]), g.op('Mul', [b, y])]), tx]);
  const Y = g.op('Add', [g.op('Sub', [g.op('Mul', [a, y]), g.op('Mul', [b, x])]), ty]);
  return { X, Y, pageScale };
}

/** Outside the face's oval, what is this much (L*) and more under the skin's mean is not skin, whatever its hue (over 15 L*). */
const NOT_SKIN_UNDER = 35;

/** L* from which down (over 15) the hair takes the page's ink: darker than any forehead here. */
const HAIR_DARK = 75;

/** ... and at least this much (L*) under the face's skin: a dim face's forehead is not hair. */
const HAIR_UNDER_SKIN = 6;

/** Reference y (DCT-Net's 288 px crop) above which the page's screentone takes over from the face's tone: the brows' top. */
const HAIR_BELOW = 116;

/** How far above a brow (reference px of the 288 crop) the forehead it is measured against reaches: a brow's height and a little. */
const BROW_ABOVE = 14;

/** [cx, cy, rx, ry] in the 288 px crop: the eyes alone (lids, iris, white). */
const EYE_ELLIPSES = [
  [111.8, 137.6, 20, 12],
  [179.7, 137.3, 20, 12],
] as const;

/** [cx, cy, rx, ry] in the 288 px crop: the eyes' openings (the whites, the iris), without the lids round them. */
const EYE_OPENINGS = EYE_ELLIPSES.map(([cx, cy, rx]) => [cx, cy, rx, 7] as const);

/**
 * [cx, cy, rx, ry] in the 288 px crop: the brows, about 20 px (a third of the eyes' distance) above
 * the eyes' reference points and reaching a little further out than the eyes.
 */
const BROW_ELLIPSES = [
  [109.8, 117, 24, 9],
  [181.7, 117, 24, 9],
] as const;

/** [cx, cy, rx, ry] in the 288 px crop: eyes with their brows, the nose, the mouth (DCT-Net's reference points, align.ts). */
const FEATURE_ELLIPSES = [
  [111.8, 131, 32, 26],
  [179.7, 131, 32, 26],
  [146, 178, 22, 22],
  [146, 216, 40, 20],
] as const;

/** Reference y (DCT-Net's 288 px crop) of the upper lip, and the fade below it (aboveLip). */
const LIFT_ABOVE = 200;
const LIFT_FADE = 16;

/** 1 above the upper lip (reference y LIFT_ABOVE of the 288 crop), fading to 0 over LIFT_FADE below it: where a face's shadows are lifted, and not on the chin or jaw where a beard grows. */
function aboveLip(g: GraphBuilder, like: string, side: number): string {
  return unit(g, g.op('Sub', [g.scalar(LIFT_ABOVE + LIFT_FADE - FACE_CROP_SHIFT), referenceY(g, like, side)]), 0, LIFT_FADE);
}

/** Each crop pixel's centre row in reference px (DCT-Net's 288 px crop), a column [1, 1, S, 1]. */
function referenceY(g: GraphBuilder, like: string, side: number): string {
  return g.op('Mul', [g.op('Sub', [pixelCount(g, like, 'y'), g.scalar(0.5)]), g.scalar(FACE_PARAMS.referenceSide / side)]);
}

/** [cx, cy, rx, ry] in the 288 px crop: the nose down to the upper lip (where a cast shadow falls under it). */
const NOSE_ELLIPSE = [146, 186, 26, 24] as const;

/** [cx, cy, rx, ry] in the 288 px crop: the mouth, corner to corner. */
const MOUTH_ELLIPSE = [146, 216, 34, 14] as const;

/** [cx, cy, rx, ry] in the 288 px crop: the face's skin, brows to chin, cheek to cheek. */
const FACE_ELLIPSE = [146, 182, 60, 76] as const;

/** [cx, cy, rx, ry] in the 288 px crop: the forehead, from the brows up to the hairline. */
const FOREHEAD_ELLIPSE = [146, 96, 52, 26] as const;

/** The face's own skin colour in CIELab: L* [1, 1, 1, 1] and a*, b* [1, 2, 1, 1]. */
interface SkinColour {
  L: string;
  ab: string;
}

/** The face's skin colour: the mean over `sample`, its cheeks and forehead (the face's oval less the features). */
function skinColour(g: GraphBuilder, Lsmooth: string, ab: string, sample: string): SkinColour {
  const lab = g.op('Concat', [Lsmooth, ab], { axis: 1 });
  const mean = g.op('Div', [g.op('GlobalAveragePool', [g.op('Mul', [lab, sample])]), g.op('Add', [g.op('GlobalAveragePool', [sample]), g.scalar(1e-4)])]);
  return { L: channels(g, mean, 0, 1), ab: channels(g, mean, 1, 3) };
}

/**
 * 1 where a pixel has the skin's hue (lit or in shadow: a*, b* pointing the skin's way, with at
 * least a share of its chroma), 0 on what is grey or of another hue (black or grey hair, a beard's
 * shadow side, a blue or night background). In a black-and-white photo (no skin colour to go by)
 * 1 everywhere.
 */
function skinHued(g: GraphBuilder, ab: string, skin: SkinColour, p: FaceParams): string {
  const chroma = g.op('Sqrt', [g.op('Add', [sumChannels(g, g.op('Mul', [ab, ab]), 2), g.scalar(1e-4)])]);
  const skinChroma = g.op('Sqrt', [g.op('Add', [sumChannels(g, g.op('Mul', [skin.ab, skin.ab]), 2), g.scalar(1e-4)])]);
  const cos = g.op('Div', [sumChannels(g, g.op('Mul', [ab, skin.ab]), 2), g.op('Mul', [chroma, skinChroma])]);
  const hued = g.op('Mul', [unit(g, cos, p.hueCos[0], p.hueCos[1]), unit(g, g.op('Div', [chroma, skinChroma]), p.hueChroma[0], p.hueChroma[1])]);
  const colour = unit(g, skinChroma, 3, 6);
  return g.op('Add', [g.op('Mul', [hued, colour]), g.op('Sub', [g.scalar(1), colour])]);
}

/**
 * Skin painted the way a cartoonist paints it (toon, comic): the face's own skin colour, measured
 * over its cheeks and forehead (away from the features), in two flat tones, light and shadow,
 * split where the smoothed photo is darker than that colour. Only where a pixel is skin (close to
 * that colour in a*, b* and L*): eyes, brows, lips, hair, glasses and beards differ from it and
 * keep their own drawing, and the ink is laid on top.
 */
function celSkin(
  g: GraphBuilder,
  v: { L: string; Lsmooth: string; clean: number; round: number; plain: string; browsEyes: string; castable: string; ab: string; s: string; glintable: string; brows: string },
  skin: SkinColour,
  look: FaceLook,
): { L: string; ab: string } {
  const p = FACE_PARAMS[look];
  const { L: meanL, ab: meanAb } = skin;
  const dab = g.op('Sub', [v.ab, meanAb]);
  const chroma = g.op('Sqrt', [sumChannels(g, g.op('Mul', [dab, dab]), 2)]);
  // On the plain skin (the oval and forehead away from the eyes, brows, nose and mouth) a blush, a
  // flash's highlight or a blotch of a small, noisy photo is skin too: the limits widen there.
  const widen = (limit: number) => g.op('Mul', [g.scalar(limit), g.op('Add', [g.scalar(1), g.op('Mul', [v.plain, g.scalar(p.celPlain)])])]);
  const skinLike = unit(g, g.op('Sub', [widen(p.celChroma), chroma]), 0, 4);
  // Lighter than the skin by a share of its lightness is not skin (teeth, the whites, a glint),
  // nor darker by a larger share (brows, irises, nostrils): shares, so that a dark face keeps its
  // teeth and eyes as a light one does.
  const above = g.op('Sub', [v.Lsmooth, meanL]);
  const lighter = unit(g, g.op('Sub', [g.op('Mul', [meanL, widen(p.celAbove)]), above]), 0, 3);
  const darker = unit(g, g.op('Add', [g.op('Mul', [meanL, g.scalar(p.celBelow)]), above]), 0, 5);
  const lightLike = g.op('Mul', [lighter, darker]);
  // A face in a black-and-white photo has no skin colour to tell its skin from the grey of a
  // shirt, a camera or the sky beside it (every grey is "skin-like" and "a glint"): it keeps its
  // drawn tones, unpainted.
  const skinChroma = g.op('Sqrt', [sumChannels(g, g.op('Mul', [meanAb, meanAb]), 2)]);
  const strength = g.op('Mul', [g.op('Mul', [unit(g, v.s, 0.3, 0.7), g.scalar(p.celSkin)]), unit(g, skinChroma, 3, 6)]);
  // Painted or not, with a crisp border (a soft one is a ramp of colour, not a flat tone).
  // Wrinkles and folds are skin-coloured and painted over; the neck and ears are skin too, the
  // paste's mask ends the face.
  // A glint on the skin (a forehead's or a cheek's highlight) is the skin's colour mixed with
  // white: lighter, its a*, b* between the skin's and grey. Inside the face's oval and outside
  // the eyes and the mouth (`glintable`: the whites and the teeth are such pixels too, and so is
  // a white wall beside a cheek), it is skin: painted, not left as a white spot.
  const along = g.op('Clip', [
    g.op('Div', [sumChannels(g, g.op('Mul', [v.ab, meanAb]), 2), g.op('Add', [sumChannels(g, g.op('Mul', [meanAb, meanAb]), 2), g.scalar(1e-3)])]),
    g.scalar(0),
    g.scalar(1),
  ]);
  const dGlint = g.op('Sub', [v.ab, g.op('Mul', [meanAb, along])]);
  const glintChroma = g.op('Sqrt', [sumChannels(g, g.op('Mul', [dGlint, dGlint]), 2)]);
  const glint = g.op('Mul', [g.op('Mul', [unit(g, g.op('Sub', [g.scalar(p.celChroma), glintChroma]), 0, 4), unit(g, above, 0, 3)]), v.glintable]);
  // A cast shadow (under the nose, beside it in hard light) is the skin's hue far darker than the
  // limits above allow: left in its own drawing it was a dark blob under the nose. A cartoonist
  // paints it in the shadow tone.
  const cast = g.op('Mul', [g.op('Mul', [v.castable, lighter]), g.scalar(p.celCast)]);
  const isSkin = unit(g, g.op('Max', [g.op('Max', [g.op('Mul', [skinLike, lightLike]), glint]), cast]), 0.4, 0.6);
  // A brow is not skin, however close to its colour (faceStyle's `brows`). Round the eyes and
  // brows only a share (celEyeKeep) is painted: the rest keeps its own drawing, the lid lighter
  // than the brow over it and the socket under it. Painted in full, a soft socket's shadow was one
  // flat patch from the brow to the cheek (goggles), and the brow, the lid and the eye in it one
  // dark shape from arm's length.
  const unpainted = p.celEyeKeep > 0 ? g.op('Max', [v.brows, g.op('Mul', [v.browsEyes, g.scalar(p.celEyeKeep)])]) : v.brows;
  const weight = g.op('Mul', [g.op('Mul', [isSkin, strength]), g.op('Sub', [g.scalar(1), unpainted])]);
  // Round the eyes and brows (browsEyes) the shadow tone starts at the skin's mean and keeps its
  // small shapes: a socket, a lid's crease, a brow are the shapes that make an eye read, and on a
  // soft or evenly lit face they are only a little darker than the skin. (Painted in the light
  // tone, or cleaned away as islands, the eyes of small faces in real group photos were short
  // dashes on a flat mask: docs/BENCHMARKS.md, "Real group photos".)
  const shadowAt = lerp(g, g.scalar(p.celShadowAt), g.scalar(p.celEyeShadowAt), v.browsEyes);
  const rawShadow = unit(g, g.op('Sub', [g.op('Sub', [meanL, shadowAt]), v.Lsmooth]), 0, 2);
  // One shadow shape, not a scatter: islands of light or shadow narrower than the window (a flash's
  // highlights on noisy skin) join the tone round them (an opening, then a closing).
  const cleaned = v.clean > 0 ? closing(g, opening(g, rawShadow, v.clean), v.clean) : rawShadow;
  const rounded = v.round > 0 ? unit(g, smoothField(g, cleaned, v.round, 1), 0.5 - p.celRoundEdge, 0.5 + p.celRoundEdge) : cleaned;
  const shadow = v.clean > 0 || v.round > 0 ? lerp(g, rounded, rawShadow, v.browsEyes) : rawShadow;
  // The light tone is the skin where the light falls (the mean of the plain skin's lighter half),
  // not the skin's mean, which a face in dim, uneven or flash light pulls down: painted at its
  // mean such a face came out a dull brown mask. The shadow tone stays under the mean.
  const litSample = g.op('Mul', [v.plain, unit(g, above, 0, 2)]);
  const litL = g.op('Div', [g.op('GlobalAveragePool', [g.op('Mul', [v.Lsmooth, litSample])]), g.op('Add', [g.op('GlobalAveragePool', [litSample]), g.scalar(1e-4)])]);
  const lightL = g.op('Max', [litL, g.op('Add', [meanL, g.scalar(p.celLight)])]);
  const shadowL = g.op('Sub', [meanL, lerp(g, g.scalar(p.celShadow), g.scalar(p.celEyeShadow), v.browsEyes)]);
  const toneL = lerp(g, lightL, shadowL, shadow);
  return { L: lerp(g, v.L, toneL, weight), ab: lerp(g, v.ab, meanAb, weight) };
}

/** Max over a (2k+1)² window, as a row pass then a column pass. */
function dilate(g: GraphBuilder, x: string, k: number): string {
  const row = g.op('MaxPool', [x], { kernel_shape: [1, 2 * k + 1], pads: [0, k, 0, k], strides: [1, 1] });
  return g.op('MaxPool', [row], { kernel_shape: [2 * k + 1, 1], pads: [k, 0, k, 0], strides: [1, 1] });
}

/** Min over a (2k+1)² window. */
function erode(g: GraphBuilder, x: string, k: number): string {
  return g.op('Neg', [dilate(g, g.op('Neg', [x]), k)]);
}

/** Morphological opening (what is narrower than the window goes) and closing (gaps narrower than it fill). */
function opening(g: GraphBuilder, x: string, k: number): string {
  return dilate(g, erode(g, x, k), k);
}
function closing(g: GraphBuilder, x: string, k: number): string {
  return erode(g, dilate(g, x, k), k);
}

/**
 * a*, b* faded by `share` in proportion to how close their hue is to the skin's (the cosine of
 * the angle between them, where positive): a skin-hued dark turns the ink's brown, an iris's blue
 * or green keeps its colour. [1, 2, S, S].
 */
function fadeSkinHue(g: GraphBuilder, ab: string, skinAb: string, share: string): string {
  const norm = (v: string) => g.op('Add', [g.op('Sqrt', [sumChannels(g, g.op('Mul', [v, v]), 2)]), g.scalar(1e-3)]);
  const cosine = g.op('Div', [sumChannels(g, g.op('Mul', [ab, skinAb]), 2), g.op('Mul', [norm(ab), norm(skinAb)])]);
  return g.op('Mul', [ab, g.op('Sub', [g.scalar(1), g.op('Mul', [g.op('Relu', [cosine]), share])])]);
}

/** The L* a catchlight is drawn in (toon, comic; sketch and manga leave the paper). */
const CATCHLIGHT_L = 97;

/**
 * The eyes' catchlights (the light's reflection on an iris), 0..1: inside the eyes, a bright spot
 * smaller than CATCH.radius (a white top-hat of the lightly blurred L*) whose surroundings are an
 * iris's dark (the top-hat's opening well under the broad shading there). The sclera beside an
 * iris is as bright, but what surrounds it is not dark: measured on the astronaut's 288 px crop,
 * the catchlights' openings were L* 22-27 and the whites' 50-65, their top-hats 31-33 and 19-25.
 * The Kuwahara passes erase a spot of 2 px, and a cartoonist keeps it as a white dot.
 */
function catchlight(g: GraphBuilder, L: string, broad: string, eyes: string, side: number): string {
  const scale = side / FACE_PARAMS.referenceSide;
  const fine = gaussianBlur(g, L, Math.max(0.5, 0.6 * scale), 1);
  const r = Math.max(1, Math.round(CATCH.radius * scale));
  const opened = opening(g, fine, r);
  const spot = unit(g, g.op('Sub', [fine, opened]), CATCH.from, CATCH.from + CATCH.range);
  const inIris = unit(g, g.op('Sub', [g.op('Sub', [broad, g.scalar(CATCH.darker)]), opened]), 0, 8);
  return g.op('Mul', [g.op('Mul', [eyes, spot]), inIris]);
}

/** Catchlights (reference px, L*): the largest spot's radius, the top-hat from which (over range) it is one, how far under the broad shading its surroundings are. */
const CATCH = { radius: 2, from: 14, range: 10, darker: 20 } as const;

/**
 * A wide Gaussian blur of a smooth field (shading, colour, weights), computed at half the size and
 * brought back with a linear resize: the same result within a level where sigma is a few px, at
 * about a quarter of the cost (the face graph's wide blurs were most of its time: 47 → see
 * docs/BENCHMARKS.md). Narrow blurs are done in full.
 */
function smoothField(g: GraphBuilder, x: string, sigma: number, channelCount: number): string {
  if (sigma < 2) return gaussianBlur(g, x, sigma, channelCount);
  const half = g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  const blurred = gaussianBlur(g, half, sigma / 2, channelCount);
  return g.op('Resize', [blurred, '', '', g.op('Shape', [x])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
}

interface FaceLayers {
  Lshade: string;
  ab: string;
  ink: string;
  gradL: string;
  s: string;
  scale: number;
  /** L* below the surroundings inside the eyes. */
  eyeDark: string;
  /** The eyes' catchlights, 0..1 (catchlight()): drawn white over everything. */
  glint: string;
  /** The face's own skin L*. */
  skinL: string;
  /** 1 on the skin's hue (skinHued). */
  skinHue: string;
  /** ... and outside the oval only where not far darker than the skin (NOT_SKIN_UNDER): what manga lifts with the skin. */
  skinLike: string;
  /** The face's oval (brows to chin, cheek to cheek), 0..1. */
  oval: string;
  /** How much of the page's own drawing a face takes where it is not skin: none on the smallest crops (as the hair's screentone in manga). */
  pageShare: number;
  /** The eyes with their brows (FEATURE_ELLIPSES' first two), 0..1. */
  browsEyes: string;
  /** The plain skin (the oval and forehead less the features), 0..1, and the sigma (crop px) its tone is smoothed with where the look does (0: not). */
  plain: string;
  plainSigma: number;
  /** ... and not lighter than its mean at this many times that sigma (0: no such limit). */
  plainWide: number;
  /** Manga: the page's screentone, for the hair around the face. */
  screen?: PageScreen;
  /** Sketch: where the crop is on the page, for the page's hatching beyond the skin. */
  page?: PagePlace;
}

/** Manga's page ink (looks.ts) at the face's tones: solid black, the screentone's dots, and the face's strokes. */
function pageInk(g: GraphBuilder, v: FaceLayers, screen: PageScreen, strokes: string): string {
  const p = LOOK_PARAMS.manga;
  const shift = g.op('Mul', [g.op('Sub', [v.s, g.scalar(0.7)]), g.scalar(p.simplify)]);
  const black = unit(g, g.op('Sub', [g.scalar(p.blackFrom + p.blackRange), g.op('Sub', [v.Lshade, shift])]), 0, p.blackRange);
  const tone = unit(g, g.op('Sub', [g.scalar(p.whiteFrom), g.op('Add', [v.Lshade, shift])]), 0, p.whiteFrom - p.blackFrom);
  const dots = dotScreen(g, screen.X, screen.Y, screen.period, tone, 0.75);
  return g.op('Max', [g.op('Max', [black, dots]), strokes]);
}

/** Sketch's page shading (looks.ts) at a tone, stroke for stroke on the page's grid, 0..1. */
function pageHatching(g: GraphBuilder, L: string, s: string, page: PagePlace): string {
  const dark = sketchDarkness(g, L, s);
  const period = g.op('Mul', [page.pageScale, g.scalar(LOOK_PARAMS.sketch.hatchPeriod)]);
  const hatch1 = stripes(g, page.X, page.Y, 1, period, dark, 0.75);
  const hatch2 = stripes(g, page.X, page.Y, -1, period, unit(g, dark, LOOK_PARAMS.sketch.crossFrom, 1), 0.75);
  return crossHatching(g, hatch1, hatch2);
}

/**
 * Lshade with the plain skin's tone smoothed (a normalised blur over the plain skin only, so the
 * features' dark does not leak into it): a flash's highlights and a small face's blotches join the
 * skin's wash instead of standing out as white ovals.
 */
function plainTone(g: GraphBuilder, v: FaceLayers): string {
  const blurred = weightedBlur(g, v.Lshade, v.plain, v.plainSigma, 1);
  // With plainWide, nothing on the plain skin is lighter than its mean at that many times the
  // sigma: a dim, noisy photo's blotches and a flash's spots (lighter patches a cheek wide) were
  // soft white discs on the face's grey.
  // Its mean over the skin only: hair over a forehead (the astronaut's fringe) darkened it.
  const washed = v.plainWide > 0 ? g.op('Min', [blurred, weightedBlur(g, v.Lshade, g.op('Mul', [v.plain, v.skinLike]), v.plainSigma * v.plainWide, 1)]) : blurred;
  return lerp(g, v.Lshade, washed, v.plain);
}

/** A normalised convolution: `x` ([1, C, S, S]) blurred over where `weight` is, so that what has no weight does not leak in. */
function weightedBlur(g: GraphBuilder, x: string, weight: string, sigma: number, channelCount: number): string {
  const spread = smoothField(g, g.op('Concat', [g.op('Mul', [x, weight]), weight], { axis: 1 }), sigma, channelCount + 1);
  return g.op('Div', [channels(g, spread, 0, channelCount), g.op('Add', [channels(g, spread, channelCount, channelCount + 1), g.scalar(1e-3)])]);
}

/** Where a look's tone starts (L*): toneFrom, and eyeToneFrom round the eyes and brows where set. */
function toneFromAt(g: GraphBuilder, p: FaceParams, v: FaceLayers): string {
  return p.eyeToneFrom > 0 ? lerp(g, g.scalar(p.toneFrom), g.scalar(p.eyeToneFrom), v.browsEyes) : g.scalar(p.toneFrom);
}

/** The look's Lab output for a face, [1, 3, S, S]. */
function renderFace(g: GraphBuilder, look: FaceLook, v: FaceLayers): string {
  const p = FACE_PARAMS[look];
  const alpha = g.op('Mul', [v.ink, g.op('Add', [g.scalar(p.inkAlpha[0]), g.op('Mul', [v.s, g.scalar(p.inkAlpha[1] - p.inkAlpha[0])])])]);
  // The strokes with the iris drawn solid where the look fills it (sketch, manga).
  const strokes = p.eyeBlack > 0 ? g.op('Max', [alpha, unit(g, v.eyeDark, p.eyeBlack, p.eyeBlack + 8)]) : alpha;
  switch (look) {
    case 'toon':
    case 'comic': {
      const gain = g.op('Add', [g.scalar(1), g.op('Mul', [v.s, g.scalar(p.saturation - 1)])]);
      const Lout = lerp(g, lerp(g, v.Lshade, g.scalar(p.inkL), alpha), g.scalar(CATCHLIGHT_L), v.glint);
      const abOut = g.op('Mul', [v.ab, g.op('Mul', [gain, g.op('Sub', [g.scalar(1), g.op('Max', [g.op('Mul', [alpha, g.scalar(0.2)]), v.glint])])])]);
      return g.op('Concat', [Lout, abOut], { axis: 1 });
    }
    case 'sketch': {
      // Graphite on paper: the strokes, a light contour on every boundary of the flat tones, and
      // smooth pencil shading for the shadows (no hatching across the features).
      // The skin is drawn near the paper, as a pencil portrait leaves it, whatever the light: the
      // face is lifted by a share of its skin's distance from the paper (a face in warm or dim
      // light was a grey mask on a white page), and the shading is drawn on what is darker than
      // that skin: its shadows, the hair, the features.
      // Only the skin (and the features on it) is lifted: hair, a beard and a dark background
      // beside the face keep the page's tone (lifted, they made a pale oval round every face).
      const paperLift = g.op('Mul', [g.op('Relu', [g.op('Sub', [g.scalar(96), v.skinL])]), g.scalar(p.skinPaper)]);
      const Lsrc = v.plainSigma > 0 ? plainTone(g, v) : v.Lshade;
      const lifted = p.skinPaper > 0 ? g.op('Add', [Lsrc, p.liftWhere > 0 ? g.op('Mul', [paperLift, g.op('Max', [v.skinHue, v.oval])]) : paperLift]) : Lsrc;
      const shade = g.op('Mul', [unit(g, g.op('Sub', [toneFromAt(g, p, v), lifted]), 0, p.toneRange), g.scalar(p.toneMax)]);
      const contour = g.op('Mul', [unit(g, g.op('Mul', [v.gradL, g.scalar(Math.max(v.scale, 0.5))]), 2, 6), g.scalar(0.45)]);
      // Beyond the skin (hair, a background beside the face), the page's own hatching, stroke for
      // stroke on the page's grid: in the face's own pencil grey, dark hair and a night sky round a
      // face made an oval patch on the hatched page, and in the hatching's mean grey the strokes
      // faded into a fog where the blend met the page. Less of it the smaller the face (pageShare;
      // none on the smallest crops, which have no placement): strokes beside a small face cost the
      // likeness judge its eyes (docs/BENCHMARKS.md).
      const beyond = () => g.op('Mul', [g.op('Sub', [g.scalar(1), g.op('Max', [v.skinHue, v.oval])]), g.scalar(v.pageShare)]);
      const tone = v.page && v.pageShare > 0 ? lerp(g, shade, pageHatching(g, v.Lshade, v.s, v.page), beyond()) : shade;
      const graphite = g.op('Mul', [g.op('Max', [g.op('Max', [strokes, contour]), tone]), g.op('Sub', [g.scalar(1), v.glint])]);
      const Lout = lerp(g, g.scalar(96), g.scalar(p.inkL), graphite);
      const tint = g.op('Mul', [g.op('Sub', [g.scalar(1), graphite]), g.tensor('paper_ab', [0.6, 3.5], [1, 2, 1, 1])]);
      return g.op('Concat', [Lout, tint], { axis: 1 });
    }
    case 'manga': {
      // Black ink on white: outlines, solid black for the darkest shapes (pupils, dark hair), and
      // a grey for the shade (what a screentone reads as from arm's length). The tones are read
      // as if the skin were at skinAt, so that the lit skin is paper in any light and the shade is
      // measured from the skin; round the eyes and brows the grey starts nearer the skin's tone
      // (the sockets, the brow's shadow: a white face with line eyes lost them from arm's length).
      const Lsrc = v.plainSigma > 0 ? plainTone(g, v) : v.Lshade;
      const skinShift = g.op('Clip', [g.op('Sub', [g.scalar(p.skinAt), v.skinL]), g.scalar(-p.skinShiftMax), g.scalar(p.skinShiftMax)]);
      // Only the skin (and the features on it) is moved: a dark background beside a dim face,
      // lifted with it, was a grey ring round the face on the page's black.
      const Lm = p.skinAt > 0 ? g.op('Add', [Lsrc, g.op('Mul', [skinShift, g.op('Max', [v.skinLike, v.oval])])]) : Lsrc;
      const black = unit(g, g.op('Sub', [g.scalar(p.blackFrom), Lm]), 0, 8);
      const tone = g.op('Mul', [unit(g, g.op('Sub', [toneFromAt(g, p, v), Lm]), 0, p.toneRange), g.scalar(p.toneMax)]);
      const faceInk = g.op('Max', [g.op('Max', [black, strokes]), tone]);
      // On the hair, the page's own blacks and dots (looks.ts, manga), lined up with the page's;
      // only where it is dark (hair, a hat), so that a forehead stays the face's white.
      const hairFrom = g.op('Min', [g.scalar(HAIR_DARK), g.op('Sub', [v.skinL, g.scalar(HAIR_UNDER_SKIN)])]);
      const onHair = v.screen ? g.op('Mul', [v.screen.hair, unit(g, g.op('Sub', [hairFrom, v.Lshade]), 0, 15)]) : undefined;
      const inkAll = v.screen && onHair ? lerp(g, faceInk, pageInk(g, v, v.screen, alpha), onHair) : faceInk;
      const Lout = g.op('Mul', [g.op('Sub', [g.scalar(1), g.op('Mul', [inkAll, g.op('Sub', [g.scalar(1), v.glint])])]), g.scalar(100)]);
      return g.op('Concat', [Lout, g.op('Mul', [v.ab, g.scalar(0)])], { axis: 1 });
    }
  }
}
