/**
 * Finds faces at any scale with BlazeFace: the front (128) model for faces that fill the frame,
 * the back (256) model for smaller ones, and the back model again on overlapping tiles when the
 * frame is large enough for faces to be small relative to it. Passes are merged by the same
 * weighted overlap rule the detector uses.
 */
import type { RgbFrame } from '../image.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { RuntimeConfig } from '../runtime.ts';
import { FaceDetector, mergeFaces, type Face } from './BlazeFace.ts';

interface FindOptions {
  /**
   * Lowest score kept. BlazeFace scores the cat in test/fixtures/chelsea.png up to 0.79 (at some
   * sizes) and real faces 0.86-0.93; the package's own default, 0.75, lets the cat in.
   * @default 0.8
   */
  threshold?: number;
}

/** Frames whose long side exceeds this are also searched in overlapping tiles. */
const TILE_ABOVE = 1024;
/** A face counts as small when its box is under this share of the frame's long side. */
const SMALL_FACE = 0.15;

export class FaceFinder {
  private constructor(
    readonly front: FaceDetector,
    readonly back: FaceDetector,
  ) {}

  static async open(runtime: RuntimeConfig, logger: Logger = silentLogger): Promise<FaceFinder> {
    return new FaceFinder(await FaceDetector.open(runtime, logger, 'front'), await FaceDetector.open(runtime, logger, 'back'));
  }

  /** Faces, largest first. */
  async find(frame: RgbFrame, options: FindOptions = {}): Promise<Face[]> {
    const threshold = options.threshold ?? 0.8;
    const found: Face[] = [...(await this.front.detect(frame, { threshold })), ...(await this.back.detect(frame, { threshold }))];
    if (Math.max(frame.width, frame.height) > TILE_ABOVE) {
      // Overlapping tiles at two scales (2x2 and 3x3): a face small in the frame is large in a tile.
      for (const [n, part] of [[2, 0.6], [3, 0.45]] as const) {
        const tw = Math.ceil(frame.width * part);
        const th = Math.ceil(frame.height * part);
        for (let j = 0; j < n; j += 1) {
          for (let i = 0; i < n; i += 1) {
            const x0 = Math.round((i * (frame.width - tw)) / (n - 1));
            const y0 = Math.round((j * (frame.height - th)) / (n - 1));
            for (const f of await this.back.detect(cut(frame, x0, y0, tw, th), { threshold })) {
              // Tiles are for faces too small for the whole-frame passes; large ones found only
              // in a tile are partial views (a cat's face cut in half scores like a person's).
              if (Math.max(f.box.width, f.box.height) > SMALL_FACE * Math.max(frame.width, frame.height)) continue;
              found.push({ box: { ...f.box, x: f.box.x + x0, y: f.box.y + y0 }, score: f.score, keypoints: f.keypoints.map(([x, y]) => [x + x0, y + y0]) });
            }
          }
        }
      }
    }
    return mergeFaces(found).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }

  async dispose(): Promise<void> {
    await this.front.dispose();
    await this.back.dispose();
  }
}

function cut(frame: RgbFrame, x0: number, y0: number, w: number, h: number): RgbFrame {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y += 1) frame.data.copy(data, y * w * 3, ((y0 + y) * frame.width + x0) * 3, ((y0 + y) * frame.width + x0 + w) * 3);
  return { data, width: w, height: h };
}
