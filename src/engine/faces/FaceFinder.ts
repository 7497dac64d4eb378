/**
 * Finds faces at any scale with BlazeFace: the front (128) model for faces that fill the frame,
 * the back (256) model for smaller ones, and the back model again over the whole frame at a closer
 * scale (one run at any size, anySize.ts) when the frame is large enough for faces to be small
 * relative to it. Passes are merged by the same weighted overlap rule the detector uses.
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

/**
 * A face that both whole-frame models see at the same place counts from this score, under the
 * threshold: two models that agree on a place say what one score under the threshold cannot.
 * The cameraman's profile (dev/fixtures/cameraman.jpg) scores 0.79-0.80 with the front model and 0.76-0.77 with
 * the back one at every output size from 256 to 2048, and was lost at 2048, where the small-face
 * search (which finds it at 1024) sees it too large. No photo without a face (the cat, the
 * scenes of dev/fixtures) gave an agreeing pair even at 0.7, at any of those sizes.
 */
const CONFIRMED = 0.75;

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
    // Both whole-frame models at the threshold, and the faces under it that both see (CONFIRMED).
    const wholeFrame = async (image: RgbFrame): Promise<{ found: Face[]; confirmed: Face[] }> => {
      const front = await this.front.detect(image, { threshold, weakFrom: CONFIRMED });
      const back = await this.back.detect(image, { threshold, weakFrom: CONFIRMED });
      const weak = (these: Face[], others: Face[]) => these.filter((f) => f.score < threshold && others.some((o) => faceOverlap(f, o) >= SAME_FACE));
      return { found: [...front, ...back].filter((f) => f.score >= threshold), confirmed: [...weak(front, back), ...weak(back, front)] };
    };
    // A confirmed face only where nothing was found: it adds a face, and moves none found.
    const withConfirmed = (found: Face[], confirmed: Face[]): Face[] => largestFirst([...found, ...mergeFaces(confirmed).filter((c) => !found.some((f) => faceOverlap(c, f) > 0))]);
    // The whole-frame back pass sees the frame at 256/long; a closer look where that is coarser.
    const scale = smallScale(long);
    if (long * scale <= this.back.size) {
      const { found, confirmed } = await wholeFrame(frame);
      return withConfirmed(found, confirmed);
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
    const toFrame = (f: Face, { sx, sy }: { sx: number; sy: number }): Face => ({
      box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy },
      score: f.score,
      keypoints: f.keypoints.map(([x, y]) => [x * sx, y * sy]),
    });
    const whole = await wholeFrame(near.image);
    const small = (await this.wide.detectScaled(close.image, close.w, close.h, { threshold })).map((f) => toFrame(f, close)).filter((f) => Math.max(f.box.width, f.box.height) <= SMALL_FACE * long);
    return withConfirmed(
      [...whole.found.map((f) => toFrame(f, near)), ...small],
      whole.confirmed.map((f) => toFrame(f, near)),
    );
  }

  async dispose(): Promise<void> {
    await this.front.dispose();
    await this.back.dispose();
    if (this.wide !== this.back) await this.wide.dispose();
  }
}

function largestFirst(found: Face[]): Face[] {
  return mergeFaces(found).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}
