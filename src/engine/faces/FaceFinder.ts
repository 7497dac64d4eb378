/**
 * Finds faces at any scale with BlazeFace: the front (128) model for faces that fill the frame,
 * the back (256) model for smaller ones, and the back model again on overlapping tiles when the
 * frame is large enough for faces to be small relative to it. Passes are merged by the same
 * weighted overlap rule the detector uses.
 */
import sharp from 'sharp';
import type { RgbFrame } from '../image.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { RuntimeConfig } from '../runtime.ts';
import { FaceDetector, mergeFaces, type Face } from './BlazeFace.ts';

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
 * draws, is ~22 px in the detector's 256 px input, which BlazeFace's back model still finds) and
 * covered by 256 px tiles overlapping by TILE_OVERLAP. Measured on the composed group photos of
 * scripts/likeness: every face down to 48 px at a 1024 output found, with 6 tiles at 1024 where
 * the earlier 2×2 and 3×3 grids of the whole frame took 13 (and a resize each).
 */
const SMALL_SCALE = 0.55;
/** A face found in a tile counts only when its box is under this share of the frame's long side. */
const SMALL_FACE = 0.15;
const TILE = 256;
const TILE_OVERLAP = 64;
/** Detector runs in flight at once: small graphs leave cores idle when run one at a time. */
const PARALLEL = 2;

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
    const [front, back] = await Promise.all([this.front.detect(frame, { threshold }), this.back.detect(frame, { threshold })]);
    const found: Face[] = [...front, ...back];
    const long = Math.max(frame.width, frame.height);
    // The whole-frame back pass sees the frame at 256/long; tiles look closer where that is coarser.
    if (long * SMALL_SCALE > TILE) found.push(...(await this.#smallFaces(frame, threshold)));
    return mergeFaces(found).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }

  /** Faces too small for the whole-frame passes: the frame scaled once, then tiled. */
  async #smallFaces(frame: RgbFrame, threshold: number): Promise<Face[]> {
    const w = Math.max(TILE, Math.round(frame.width * SMALL_SCALE));
    const h = Math.max(TILE, Math.round(frame.height * SMALL_SCALE));
    const scaled: RgbFrame = {
      data: await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
        .resize(w, h, { fit: 'fill' })
        .raw()
        .toBuffer(),
      width: w,
      height: h,
    };
    const [sx, sy] = [frame.width / w, frame.height / h];
    const starts = (size: number) => {
      const out: number[] = [];
      for (let at = 0; ; at += TILE - TILE_OVERLAP) {
        out.push(Math.min(at, size - TILE));
        if (at + TILE >= size) return out;
      }
    };
    const tiles = starts(w).flatMap((x0) => starts(h).map((y0) => [x0, y0] as const));
    const found: Face[] = [];
    for (let i = 0; i < tiles.length; i += PARALLEL) {
      const batch = tiles.slice(i, i + PARALLEL);
      const results = await Promise.all(batch.map(([x0, y0]) => this.back.detect(cut(scaled, x0, y0, TILE, TILE), { threshold })));
      for (const [k, faces] of results.entries()) {
        const [x0, y0] = batch[k] as readonly [number, number];
        for (const f of faces) {
          // Tiles are for faces too small for the whole-frame passes; large ones found only in a
          // tile are partial views (a cat's face cut in half scores like a person's).
          if (Math.max(f.box.width * sx, f.box.height * sy) > SMALL_FACE * Math.max(frame.width, frame.height)) continue;
          found.push({
            box: { x: (f.box.x + x0) * sx, y: (f.box.y + y0) * sy, width: f.box.width * sx, height: f.box.height * sy },
            score: f.score,
            keypoints: f.keypoints.map(([x, y]) => [(x + x0) * sx, (y + y0) * sy]),
          });
        }
      }
    }
    return found;
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
