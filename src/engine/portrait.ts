/**
 * The portrait pipeline, the DCT-Net way: find the faces, stylise the whole frame with the
 * background model, then for each face (largest first, later ones on top) cut an aligned crop,
 * stylise it with the head model, and blend it back through a soft mask. The crop is DCT-Net's
 * 288x288, or with `nativeCrop` as many pixels as the face has in the photo (no upscaled heads).
 * The strength blend comes last, over the whole result, so that strength means the same in both
 * pipelines; graphs with a strength input get it directly and nothing is blended.
 */
import type { Face } from './faces/BlazeFace.ts';
import { CROP_SIZE, faceTransform, footprint, nativeCropSize, pasteBack, resizeCrop, warpCrop, type Similarity } from './faces/align.ts';
import type { FaceFinder } from './faces/FaceFinder.ts';
import { mix, photoMix } from './blend.ts';
import { stylise, type FrameModel } from './fullFrame.ts';
import type { RgbFrame } from './image.ts';
import { ToonError } from './errors.ts';
import type { FaceBox } from './types.ts';

interface PortraitModels {
  background: FrameModel;
  /** The head model for crops of `size`² (its variant nearest that side, where it has variants). */
  head(size: number): Promise<FrameModel>;
  /** The soft face mask for a crop of `size`², 0..1. */
  mask(size: number): Promise<Float32Array>;
  /**
   * How crops are cut: `fixed`, DCT-Net's 288x288; `native`, at the photo's resolution; `face`, at
   * the one of `sides` nearest the photo's resolution (the head graph drawn at the face's scale).
   */
  crop: { kind: 'fixed' } | { kind: 'native' } | { kind: 'face'; sides: readonly number[] };
}

/** How much finer than the photo a face crop may sample the face (an upsampled crop adds no detail). */
const CROP_UPSAMPLE = 1.2;

/** The crop side for a face aligned by `aligned`. */
export function cropSide(crop: PortraitModels['crop'], aligned: Similarity): number {
  if (crop.kind === 'fixed') return CROP_SIZE;
  if (crop.kind === 'native') return nativeCropSize(aligned);
  // The largest side that samples the face at most a little finer than the photo does: drawing
  // costs the square of the side (408² takes 2.5x the time of 288²), and a face drawn at up to √2
  // below its size keeps its strokes (they are a few px wide and antialiased).
  const native = nativeCropSize(aligned, 1, Number.MAX_SAFE_INTEGER);
  const sides = [...crop.sides].sort((a, b) => a - b);
  return sides.filter((s) => s <= native * CROP_UPSAMPLE).pop() ?? (sides[0] as number);
}

interface PortraitOutcome {
  frame: RgbFrame;
  faces: FaceBox[];
  detectMs: number;
  headMs: number;
  tiles: number;
}

export async function stylisePortrait(models: PortraitModels, finder: FaceFinder, photo: RgbFrame, strength: number, signal?: AbortSignal): Promise<PortraitOutcome> {
  let t = performance.now();
  const faces: Face[] = await finder.find(photo);
  const detectMs = performance.now() - t;

  // Where each face is cut, at the face's own scale.
  const cuts = faces.map((face) => {
    const aligned = faceTransform(face.keypoints);
    const size = cropSide(models.crop, aligned);
    const transform = resizeCrop(aligned, size);
    const box: FaceBox = { ...face.box, score: face.score, keypoints: face.keypoints, region: footprint(transform, photo.width, photo.height, size) };
    return { size, transform, box };
  });
  const boxes = cuts.map((c) => c.box);
  // Strength 0 is the photo itself; the faces are still reported.
  if (strength === 0) return { frame: photo, faces: boxes, detectMs, headMs: 0, tiles: 0 };

  // Strength-aware graphs get the strength; others run at full and are blended at the end.
  const inner = models.background.io.strength !== undefined ? strength : 1;
  const background = await stylise(models.background, photo, inner, signal);
  const canvas = background.frame;
  t = performance.now();
  for (const { size, transform } of cuts) {
    if (signal?.aborted) throw signal.reason instanceof ToonError ? signal.reason : new ToonError('CANCELLED');
    const crop = warpCrop(photo, transform, size);
    const head = await stylise(await models.head(size), crop, inner, signal);
    pasteBack(canvas, head.frame, await models.mask(size), transform);
  }
  const headMs = performance.now() - t;
  return { frame: mix(photo, canvas, photoMix(models.background.io, strength)), faces: boxes, detectMs, headMs, tiles: background.stats.tiles };
}
