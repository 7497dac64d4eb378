/**
 * Finds faces at any scale with BlazeFace: the front (128) model for faces that fill the frame,
 * the back (256) model for smaller ones, and the back model again over the whole frame at a closer
 * scale (one run at any size, anySize.ts) when the frame is large enough for faces to be small
 * relative to it. Passes are merged by the same weighted overlap rule the detector uses.
 */
import type { RgbFrame } from '../image.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { RuntimeConfig } from '../runtime.ts';
import { FaceDetector, mergeFaces, resized, type Face } from './BlazeFace.ts';

interface FindOptions {
  /**
   * Lowest score kept. BlazeFace scores the cat in dev/fixtures/chelsea.png up to 0.79 (at some
   * sizes) and real faces 0.86-0.93; the package's own default, 0.75, lets the cat in.
   * @default 0.8
   */
  threshold?: number;
}

/**
 * The search for small faces: the frame scaled by this (so that a 40 px face, the smallest a look
 * draws, is ~22 px at the detector's scale, which BlazeFace's back model still finds), in one run
 * of the back model over the whole scaled frame (anySize.ts). Measured on the composed group
 * photos of scripts/likeness: every face down to 48 px at a 1024 output found.
 */
const SMALL_SCALE = 0.55;
/** Faces found by the small-face search count only when under this share of the frame's long side. */
const SMALL_FACE = 0.15;

export class FaceFinder {
  private constructor(
    readonly front: FaceDetector,
    readonly back: FaceDetector,
    readonly wide: FaceDetector,
  ) {}

  static async open(runtime: RuntimeConfig, logger: Logger = silentLogger): Promise<FaceFinder> {
    return new FaceFinder(await FaceDetector.open(runtime, logger, 'front'), await FaceDetector.open(runtime, logger, 'back'), await FaceDetector.open(runtime, logger, 'back', { anySize: true }));
  }

  /**
   * Faces, largest first. The passes run one after another: on a few cores, detector runs side by
   * side only contend for the same cores (each session has a thread pool as wide as the machine).
   */
  async find(frame: RgbFrame, options: FindOptions = {}): Promise<Face[]> {
    const threshold = options.threshold ?? 0.8;
    const long = Math.max(frame.width, frame.height);
    // The whole-frame back pass sees the frame at 256/long; a closer look where that is coarser.
    if (long * SMALL_SCALE <= this.back.size) return largestFirst([...(await this.front.detect(frame, { threshold })), ...(await this.back.detect(frame, { threshold }))]);
    // The frame is scaled once; the whole-frame passes shrink that copy, which costs a fraction
    // of shrinking the frame itself again (libvips' cost follows the source's size).
    const w = Math.round(frame.width * SMALL_SCALE);
    const h = Math.round(frame.height * SMALL_SCALE);
    const small = await resized(frame, w, h);
    const [sx, sy] = [frame.width / w, frame.height / h];
    const found = [
      ...(await this.front.detect(small, { threshold })),
      ...(await this.back.detect(small, { threshold })),
      ...(await this.wide.detectScaled(small, w, h, { threshold })).filter((f) => Math.max(f.box.width * sx, f.box.height * sy) <= SMALL_FACE * long),
    ];
    return largestFirst(
      found.map((f) => ({
        box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy },
        score: f.score,
        keypoints: f.keypoints.map(([x, y]) => [x * sx, y * sy]),
      })),
    );
  }

  async dispose(): Promise<void> {
    await this.front.dispose();
    await this.back.dispose();
    await this.wide.dispose();
  }
}

function largestFirst(found: Face[]): Face[] {
  return mergeFaces(found).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}
