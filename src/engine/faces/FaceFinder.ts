/**
 * Finds faces at any scale with BlazeFace: the front (128) model for faces that fill the frame,
 * the back (256) model for smaller ones, and the back model again on overlapping tiles when the
 * frame is large enough for faces to be small relative to it. Passes are merged by the same
 * weighted overlap rule the detector uses.
 */
import type { RgbFrame } from '../image.ts';
import type { RuntimeConfig } from '../session.ts';
import { FaceDetector, mergeFaces, type Face } from './BlazeFace.ts';

export interface FindOptions {
  /** Lowest score kept. 0.75 is the package's default and keeps cats and cups out. @default 0.75 */
  threshold?: number;
}

/** Frames whose long side exceeds this are also searched in 2x2 overlapping tiles. */
const TILE_ABOVE = 1024;

export class FaceFinder {
  private constructor(
    readonly front: FaceDetector,
    readonly back: FaceDetector,
  ) {}

  static async open(runtime: Pick<RuntimeConfig, 'intraOpThreads'>): Promise<FaceFinder> {
    return new FaceFinder(await FaceDetector.open(runtime, 'front'), await FaceDetector.open(runtime, 'back'));
  }

  /** Faces, largest first. */
  async find(frame: RgbFrame, options: FindOptions = {}): Promise<Face[]> {
    const threshold = options.threshold ?? 0.75;
    const found: Face[] = [...(await this.front.detect(frame, { threshold })), ...(await this.back.detect(frame, { threshold }))];
    if (Math.max(frame.width, frame.height) > TILE_ABOVE) {
      const tw = Math.ceil(frame.width * 0.6);
      const th = Math.ceil(frame.height * 0.6);
      for (const y0 of [0, frame.height - th]) {
        for (const x0 of [0, frame.width - tw]) {
          const tile = cut(frame, x0, y0, tw, th);
          for (const f of await this.back.detect(tile, { threshold })) {
            found.push({ box: { ...f.box, x: f.box.x + x0, y: f.box.y + y0 }, score: f.score, keypoints: f.keypoints.map(([x, y]) => [x + x0, y + y0]) });
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
