/**
 * The portrait pipeline, the DCT-Net way: find the faces, stylise the whole frame with the
 * background model, then for each face (largest first, later ones on top) cut an aligned crop,
 * stylise it with the head model, and blend it back through a soft mask. The crop is DCT-Net's
 * 288x288, or with `nativeCrop` as many pixels as the face has in the photo (no upscaled heads).
 * The strength blend comes last, over the whole result, so that strength means the same in both
 * pipelines; graphs with a strength input get it directly and nothing is blended.
 */
import type { Face } from './faces/BlazeFace.ts';
import { CROP_SIZE, FACE_CROP_SHIFT, faceTransform, faceTurn, footprint, nativeCropSize, pasteBack, resizeCrop, turnedMask, warpCrop, type Similarity } from './faces/align.ts';
import type { FaceFinder } from './faces/FaceFinder.ts';
import { mix, photoMix } from './blend.ts';
import { stylise, type FrameModel } from './fullFrame.ts';
import type { RgbFrame } from './image.ts';
import { ToonError } from './errors.ts';
import type { FaceBox } from './types.ts';

/** What the face pass needs: the finder, the head graphs and how crops are cut. */
export interface FaceModels {
  finder: FaceFinder;
  /** The head model for crops of `size`² (its variant nearest that side, where it has variants). */
  head(size: number): Promise<FrameModel>;
  /**
   * How crops are cut: `fixed`, DCT-Net's 288x288; `native`, at the photo's resolution; `face`, at
   * the one of `sides` nearest the photo's resolution (the head graph drawn at the face's scale).
   */
  crop: { kind: 'fixed' } | { kind: 'native' } | { kind: 'face'; sides: readonly number[] };
  /** The whole frame's graph's scale (its side / 1024), for head graphs that draw its pattern (ModelIO.placement). */
  pageScale: number;
}

/** A face found, where its crop is cut, and (when drawn) the crop drawn by the head graph. */
interface DrawnFace {
  box: FaceBox;
  size: number;
  transform: Similarity;
  head?: RgbFrame;
}

export interface DrawnFaces {
  faces: DrawnFace[];
  detectMs: number;
  headMs: number;
}

/**
 * The face pass of one frame: finds the faces and, with `inner` (the strength a strength-aware
 * head graph is fed, else 1), draws each one's crop. Pure work on the photo: it runs in the face
 * thread (threads/FaceThread.ts) at the same time as the whole frame's graph, or in line.
 */
export type FacePass = (photo: RgbFrame, inner: number | undefined, signal?: AbortSignal) => Promise<DrawnFaces>;

interface PortraitModels {
  background: FrameModel;
  /** The soft face mask for a crop of `size`², 0..1. */
  mask(size: number): Promise<Float32Array>;
  faces: FacePass;
}

/**
 * How much finer than the photo a small face's crop may sample it: its strokes are a pixel or two
 * wide, and a finer grid keeps them whole.
 */
const CROP_UPSAMPLE = 1.2;
/**
 * The same for a face of CROP_SIZE and more: a hair finer at most. An upsampled crop adds no
 * detail there and costs the square of its side: the astronaut's face at a 1024 output (343 px)
 * was drawn at 408², and at 288² its strokes look the same side by side while the face graph takes
 * half the time. Hopper's (570 px) keeps 576²: at 408² her eyes behind the glasses went grey in
 * sketch and manga, and the judge lost one.
 */
const LARGE_CROP_UPSAMPLE = 1.05;
/**
 * Below a 1024 output (SMALL_OUTPUT, the frame's long side), a small face's crop samples it up to
 * this much finer instead of CROP_UPSAMPLE. At a 512 output a face is 60-130 px and its eye a dozen:
 * drawn on a 72-144 px crop, an eye's white and iris were a pixel or two and the cel skin took
 * them (the eye a dark bar under the brow); on a crop 1.7x finer they keep their shapes, and the
 * likeness judge keeps more eyes in every look (real group photos at 512, the judge's verdict over
 * four imperceptible shifts: toon 9 → 11.5 of 14, comic 8.3 → 9.3, sketch 10 → 11.8, manga 11.5 →
 * 12.8). At 1024 and above the same made no difference to the judge and cost a six-face photo 17 %
 * more (docs/BENCHMARKS.md, "Small faces at a small output").
 */
const SMALL_OUTPUT_UPSAMPLE = 1.7;
const SMALL_OUTPUT = 1024;

/** The crop side for a face aligned by `aligned`, in a frame whose long side is `long` px. */
export function cropSide(crop: FaceModels['crop'], aligned: Similarity, long = SMALL_OUTPUT): number {
  if (crop.kind === 'fixed') return CROP_SIZE;
  if (crop.kind === 'native') return nativeCropSize(aligned);
  // The largest side that samples the face at most a little finer than the photo does: drawing
  // costs the square of the side (408² takes 2.5x the time of 288²), and a face drawn at up to √2
  // below its size keeps its strokes (they are a few px wide and antialiased).
  const native = nativeCropSize(aligned, 1, Number.MAX_SAFE_INTEGER);
  const sides = [...crop.sides].sort((a, b) => a - b);
  const upsample = long < SMALL_OUTPUT ? SMALL_OUTPUT_UPSAMPLE : CROP_UPSAMPLE;
  const finest = native >= CROP_SIZE ? native * LARGE_CROP_UPSAMPLE : Math.min(CROP_SIZE * LARGE_CROP_UPSAMPLE, native * upsample);
  return sides.filter((s) => s <= finest).pop() ?? (sides[0] as number);
}

interface PortraitOutcome {
  frame: RgbFrame;
  faces: FaceBox[];
  detectMs: number;
  headMs: number;
  tiles: number;
}

export async function drawFaces(models: FaceModels, photo: RgbFrame, inner: number | undefined, signal?: AbortSignal): Promise<DrawnFaces> {
  let t = performance.now();
  const found: Face[] = await models.finder.find(photo);
  const detectMs = performance.now() - t;
  // Where each face is cut, at the face's own scale.
  const faces: DrawnFace[] = found.map((face) => {
    const aligned = faceTransform(face.keypoints, models.crop.kind === 'face' ? FACE_CROP_SHIFT : 0);
    const size = cropSide(models.crop, aligned, Math.max(photo.width, photo.height));
    const transform = resizeCrop(aligned, size);
    const box: FaceBox = { ...face.box, score: face.score, keypoints: face.keypoints, region: footprint(transform, photo.width, photo.height, size) };
    return { size, transform, box };
  });
  if (inner === undefined) return { faces, detectMs, headMs: 0 };
  t = performance.now();
  for (const face of faces) {
    if (signal?.aborted) throw signal.reason instanceof ToonError ? signal.reason : new ToonError('CANCELLED');
    // Where the crop sits in the frame, for a head graph that lines the page's pattern up with it.
    const { a, b, tx, ty } = face.transform;
    face.head = (await stylise(await models.head(face.size), warpCrop(photo, face.transform, face.size), inner, signal, [a, b, tx, ty, models.pageScale])).frame;
  }
  return { faces, detectMs, headMs: performance.now() - t };
}

export async function stylisePortrait(models: PortraitModels, photo: RgbFrame, strength: number, signal?: AbortSignal): Promise<PortraitOutcome> {
  // Strength 0 is the photo itself; the faces are still reported.
  if (strength === 0) {
    const found = await models.faces(photo, undefined, signal);
    return { frame: photo, faces: found.faces.map((f) => f.box), detectMs: found.detectMs, headMs: 0, tiles: 0 };
  }
  // Strength-aware graphs get the strength; others run at full and are blended at the end.
  const inner = models.background.io.strength !== undefined ? strength : 1;
  // The face pass starts first: in its own thread it runs beside the whole frame's graph.
  const drawing = models.faces(photo, inner, signal);
  drawing.catch(() => undefined);
  const background = await stylise(models.background, photo, inner, signal);
  const drawn = await drawing;
  const canvas = background.frame;
  // A turned face's paste ends closer to its nose on the side it looks to (align.ts, turnedMask).
  for (const { head, size, transform, box } of drawn.faces) if (head) pasteBack(canvas, head, turnedMask(await models.mask(size), size, faceTurn(box.keypoints)), transform);
  return {
    frame: mix(photo, canvas, photoMix(models.background.io, strength)),
    faces: drawn.faces.map((f) => f.box),
    detectMs: drawn.detectMs,
    headMs: drawn.headMs,
    tiles: background.stats.tiles,
  };
}
