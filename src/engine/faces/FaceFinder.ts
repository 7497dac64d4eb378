/**
 * Finds faces at any scale with BlazeFace: the front (128) model for faces that fill the frame,
 * the back (256) model for smaller ones, and the back model again over the whole frame at a closer
 * scale (one run at any size, anySize.ts) when the frame is large enough for faces to be small
 * relative to it. Passes are merged by the same weighted overlap rule the detector uses. What they
 * all score a little under the threshold gets a second look, closer (SECOND_LOOK_FROM).
 */
import type { RgbFrame } from '../image.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { RuntimeConfig } from '../runtime.ts';
import { FaceDetector, faceOverlap, mergeFaces, resized, type Face } from './BlazeFace.ts';

interface FindOptions {
  /**
   * Lowest score kept. BlazeFace scores the cat in dev/fixtures/chelsea.png up to 0.79 (at some
   * sizes) and real faces 0.86-0.93; the package's own default, 0.75, lets the cat in.
   * @default 0.8
   */
  threshold?: number;
}

/**
 * The search for small faces: the frame scaled by this at a 1024 output and above (so that a 40 px
 * face, the smallest a look draws, is ~22 px at the detector's scale, which BlazeFace's back model
 * still finds), in one run of the back model over the whole scaled frame (anySize.ts). Measured
 * on the composed group photos of scripts/likeness: every face down to 48 px at a 1024 output
 * found. A smaller output holds less of each face, so it is scaled by more (smallScale).
 */
const SMALL_SCALE = 0.55;

/**
 * The small-face search's scale for a frame of long side `long`: SMALL_SCALE, raised by
 * √(1024 / long) below 1024. At a 512 output the lawn group's smallest face (37 px, its eyes a few
 * px) was missed at 0.55 (21 px at the detector) and drawn by the whole frame's graph, blank; it
 * is found from 0.7 on (0.78 here).
 */
function smallScale(long: number): number {
  return SMALL_SCALE * Math.max(1, Math.sqrt(1024 / long));
}
/** Faces found by the small-face search count only when under this share of the frame's long side. */
const SMALL_FACE = 0.15;

/** Whether `face` is at most SMALL_FACE of a frame whose long side is `long`. */
function smallFace(face: Face, long: number): boolean {
  return Math.max(face.box.width, face.box.height) <= SMALL_FACE * long;
}

/**
 * A face that both whole-frame models see at the same place counts from this score, under the
 * threshold: two models that agree on a place say what one score under the threshold cannot.
 * The cameraman's profile (dev/fixtures/cameraman.jpg) scores 0.79-0.80 with the front model and 0.76-0.77 with
 * the back one at every output size from 256 to 2048, and was lost at 2048, where the small-face
 * search (which finds it at 1024) sees it too large. No photo without a face (the cat, the
 * scenes of dev/fixtures) gave an agreeing pair even at 0.7, at any of those sizes.
 */
const CONFIRMED = 0.75;

/**
 * A second look at what every pass scores from SECOND_LOOK_FROM up to the threshold, where nothing
 * was found: the front model once more on a square cut round it (SECOND_LOOK_SPAN times its size,
 * so the face fills the model's input as a selfie does) and on its mirror image; the face counts
 * when either scores it over the threshold near the cut's centre (SECOND_LOOK_CENTRE of its side).
 * On the real group photos three faces every pass scored 0.77-0.79 (a woman under a fringe, a man
 * in dim light, a turned head in the collage) score 0.84-0.91 there, and were drawn by the whole
 * frame's graph, featureless, before. The cat's face, a rocket and a desk, the only such
 * candidates on photos without a face at 512, 1024 and 2048, score 0.64 at most. Only a candidate
 * up to SMALL_FACE of the frame's long side gets it: a cut round a larger one holds about as many
 * pixels of it as the whole-frame passes gave the model, and the cat's face (0.28-0.47 of the
 * frame) cost two looks, ~25 ms, for nothing.
 */
const SECOND_LOOK_FROM = 0.7;
const SECOND_LOOK_SPAN = 2.2;
const SECOND_LOOK_CENTRE = 0.2;

/**
 * A frame over this long side that is a photo scaled up (RgbFrame.sourceLong under its long side)
 * is searched once more at the photo's own size, but not under this, and what that finds where
 * nothing was found is added. Scaled up, a face is only softer and larger, and the small-face
 * search sees a mid-sized one larger than it finds well: at a 2048 output of a 500 px party photo
 * (2008_007676) a woman found at 1024 scored 0.64-0.67 in every pass, four times enlarged, and was
 * drawn by the whole frame's graph, featureless. The frame's own search stays: it is what finds a
 * face 40 px wide at the output (smallScale). A frame no larger than this is searched as it is.
 */
const UPSCALED_FROM = 1024;
/**
 * ... and only a photo enlarged this many times or more: the second search costs a 2048 output
 * about 60 ms of detection, and a group photo of 1600 px drawn at 2048 took 1.19x as long with it
 * for nothing (`npx tsx scripts/bench/against.ts … --resolution 2048`).
 */
const ENLARGED = 2;

/** How much two models' boxes must overlap (intersection over union) to be the same face. */
const SAME_FACE = 0.3;

export class FaceFinder {
  private constructor(
    readonly front: FaceDetector,
    readonly back: FaceDetector,
    readonly wide: FaceDetector,
  ) {}

  static async open(runtime: RuntimeConfig, logger: Logger = silentLogger): Promise<FaceFinder> {
    // One session of the back model serves both its passes: the whole frame at its own 256², and
    // the small-face search at any size (the graph made free gives the fixed graph's faces at 256²,
    // tested). A second session of it held ~5 MiB more at a job's peak.
    const back = await FaceDetector.open(runtime, logger, 'back', { anySize: true });
    return new FaceFinder(await FaceDetector.open(runtime, logger, 'front'), back, back);
  }

  /**
   * Faces, largest first. The passes run one after another: on a few cores, detector runs side by
   * side only contend for the same cores (each session has a thread pool as wide as the machine).
   */
  async find(frame: RgbFrame, options: FindOptions = {}): Promise<Face[]> {
    const threshold = options.threshold ?? 0.8;
    const long = Math.max(frame.width, frame.height);
    // A photo scaled up is searched at its own size too (UPSCALED_FROM), its faces scaled back
    // where the frame's own search found none.
    const own = frame.sourceLong !== undefined && frame.sourceLong * ENLARGED <= long && long > UPSCALED_FROM ? Math.max(UPSCALED_FROM, frame.sourceLong) : long;
    if (own < long) {
      const { sourceLong: _, ...asDrawn } = frame;
      const found = await this.find(asDrawn, options);
      const w = Math.max(1, Math.round((frame.width * own) / long));
      const h = Math.max(1, Math.round((frame.height * own) / long));
      const atOwn = (await this.find(await resized(frame, w, h), options)).map((f) => scaledFace(f, frame.width / w, frame.height / h));
      return largestFirst([...found, ...atOwn.filter((f) => !found.some((g) => faceOverlap(f, g) > 0))]);
    }
    // Both whole-frame models at the threshold, and the faces under it that both see (CONFIRMED).
    const wholeFrame = async (image: RgbFrame): Promise<{ found: Face[]; confirmed: Face[]; doubtful: Face[] }> => {
      const front = await this.front.detect(image, { threshold, weakFrom: SECOND_LOOK_FROM });
      const back = await this.back.detect(image, { threshold, weakFrom: SECOND_LOOK_FROM });
      const weak = (these: Face[], others: Face[]) => these.filter((f) => f.score < threshold && f.score >= CONFIRMED && others.some((o) => faceOverlap(f, o) >= SAME_FACE));
      return {
        found: [...front, ...back].filter((f) => f.score >= threshold),
        confirmed: [...weak(front, back), ...weak(back, front)],
        doubtful: [...front, ...back].filter((f) => f.score < threshold),
      };
    };
    // A confirmed face only where nothing was found: it adds a face, and moves none found. Then a
    // second look at what is left under the threshold.
    const withConfirmed = async (found: Face[], confirmed: Face[], doubtful: Face[]): Promise<Face[]> => {
      const faces = [...found, ...mergeFaces(confirmed).filter((c) => !found.some((f) => faceOverlap(c, f) > 0))];
      return largestFirst([...faces, ...(await this.#secondLook(frame, faces, doubtful, threshold))]);
    };
    // The whole-frame back pass sees the frame at 256/long; a closer look where that is coarser.
    const scale = smallScale(long);
    if (long * scale <= this.back.size) {
      const { found, confirmed, doubtful } = await wholeFrame(frame);
      return withConfirmed(found, confirmed, doubtful);
    }
    // The frame is scaled once for the whole-frame passes, which shrink that copy (cheaper than
    // shrinking the frame itself again: libvips' cost follows the source's size), and once more,
    // closer, for the small-face search where a small output asks for it.
    const atScale = async (k: number) => {
      const w = Math.round(frame.width * k);
      const h = Math.round(frame.height * k);
      return { image: await resized(frame, w, h), w, h, sx: frame.width / w, sy: frame.height / h };
    };
    // (Below a 466 px frame the whole-frame passes read the frame itself, as they did alone.)
    const near = long * SMALL_SCALE <= this.back.size ? { image: frame, w: frame.width, h: frame.height, sx: 1, sy: 1 } : await atScale(SMALL_SCALE);
    const close = scale > SMALL_SCALE ? await atScale(scale) : near;
    const toFrame = (f: Face, { sx, sy }: { sx: number; sy: number }): Face => scaledFace(f, sx, sy);
    const whole = await wholeFrame(near.image);
    const small = (await this.wide.detectScaled(close.image, close.w, close.h, { threshold, weakFrom: SECOND_LOOK_FROM })).map((f) => toFrame(f, close)).filter((f) => smallFace(f, long));
    return withConfirmed(
      [...whole.found.map((f) => toFrame(f, near)), ...small.filter((f) => f.score >= threshold)],
      whole.confirmed.map((f) => toFrame(f, near)),
      [...whole.doubtful.map((f) => toFrame(f, near)), ...small.filter((f) => f.score < threshold)],
    );
  }

  /** The doubtful candidates (under the threshold) that a second look finds faces, where none of `faces` is (SECOND_LOOK_FROM). */
  async #secondLook(frame: RgbFrame, faces: readonly Face[], doubtful: readonly Face[], threshold: number): Promise<Face[]> {
    const kept: Face[] = [];
    const long = Math.max(frame.width, frame.height);
    for (const candidate of mergeFaces(doubtful)) {
      // A larger face is seen as closely by the whole-frame passes as by a cut round it.
      if (!smallFace(candidate, long)) continue;
      if ([...faces, ...kept].some((f) => faceOverlap(candidate, f) > 0)) continue;
      const score = await this.#closer(frame, candidate);
      if (score >= threshold) kept.push({ ...candidate, score });
    }
    return kept;
  }

  /** The front model's best score near the centre of a square cut round `face`, plain or mirrored. */
  async #closer(frame: RgbFrame, face: Face): Promise<number> {
    const side = Math.max(1, Math.round(Math.max(face.box.width, face.box.height) * SECOND_LOOK_SPAN));
    const x0 = Math.round(face.box.x + face.box.width / 2 - side / 2);
    const y0 = Math.round(face.box.y + face.box.height / 2 - side / 2);
    const size = this.front.size;
    const plain = await resized(squareCut(frame, x0, y0, side), size, size);
    let best = 0;
    for (const image of [plain, mirrored(plain)]) {
      for (const f of await this.front.detect(image, { threshold: SECOND_LOOK_FROM })) {
        const [cx, cy] = [f.box.x + f.box.width / 2, f.box.y + f.box.height / 2];
        if (Math.abs(cx - size / 2) < SECOND_LOOK_CENTRE * size && Math.abs(cy - size / 2) < SECOND_LOOK_CENTRE * size) best = Math.max(best, f.score);
      }
    }
    return best;
  }

  async dispose(): Promise<void> {
    await this.front.dispose();
    await this.back.dispose();
    if (this.wide !== this.back) await this.wide.dispose();
  }
}

/** The `side`² square of `frame` from (x0, y0), black where it reaches past the frame. */
function squareCut(frame: RgbFrame, x0: number, y0: number, side: number): RgbFrame {
  const data = Buffer.alloc(side * side * 3);
  const xa = Math.max(0, x0);
  const xb = Math.min(frame.width, x0 + side);
  if (xb > xa) {
    for (let y = Math.max(0, y0); y < Math.min(frame.height, y0 + side); y += 1) {
      frame.data.copy(data, ((y - y0) * side + (xa - x0)) * 3, (y * frame.width + xa) * 3, (y * frame.width + xb) * 3);
    }
  }
  return { data, width: side, height: side };
}

/** `frame` mirrored left to right. */
function mirrored(frame: RgbFrame): RgbFrame {
  const { width, height } = frame;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      data[d] = frame.data[s] as number;
      data[d + 1] = frame.data[s + 1] as number;
      data[d + 2] = frame.data[s + 2] as number;
    }
  }
  return { data, width, height };
}

/** `face` with its box and keypoints scaled by sx, sy (from a scaled copy back to the frame). */
function scaledFace(face: Face, sx: number, sy: number): Face {
  return {
    box: { x: face.box.x * sx, y: face.box.y * sy, width: face.box.width * sx, height: face.box.height * sy },
    score: face.score,
    keypoints: face.keypoints.map(([x, y]) => [x * sx, y * sy]),
  };
}

function largestFirst(found: Face[]): Face[] {
  return mergeFaces(found).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}
