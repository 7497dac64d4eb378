/**
 * The portrait pipeline, the DCT-Net way: find the faces, stylise the whole frame with the
 * background model, then for each face (largest first, later ones on top) cut an aligned crop,
 * stylise it with the head model, and blend it back through a soft mask. The crop is DCT-Net's
 * 288x288, or with `nativeCrop` as many pixels as the face has in the photo (no upscaled heads).
 * The strength blend comes last, over the whole result, so that strength means the same in both
 * pipelines; graphs with a strength input get it directly and nothing is blended.
 */
import type { Face } from './faces/BlazeFace.ts';
import { CROP_SIZE, faceTransform, footprint, nativeCropSize, pasteBack, resizeCrop, warpCrop } from './faces/align.ts';
import type { FaceFinder } from './faces/FaceFinder.ts';
import { mix, photoMix } from './blend.ts';
import { stylise, type FrameModel } from './fullFrame.ts';
import type { RgbFrame } from './image.ts';
import { ToonError } from './errors.ts';
import type { FaceBox } from './types.ts';

interface PortraitModels {
  background: FrameModel;
  head: FrameModel;
  /** The soft face mask for a crop of `size`², 0..1. */
  mask(size: number): Promise<Float32Array>;
  /** Cut crops at the photo's resolution instead of 288x288. */
  nativeCrop: boolean;
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

  // Strength-aware graphs get the strength; others run at full and are blended at the end.
  const inner = models.background.io.strength !== undefined ? strength : 1;
  const background = await stylise(models.background, photo, inner, signal);
  const canvas = background.frame;
  t = performance.now();
  const boxes: FaceBox[] = [];
  for (const face of faces) {
    if (signal?.aborted) throw signal.reason instanceof ToonError ? signal.reason : new ToonError('CANCELLED');
    const aligned = faceTransform(face.keypoints);
    const size = models.nativeCrop ? nativeCropSize(aligned) : CROP_SIZE;
    const transform = resizeCrop(aligned, size);
    const crop = warpCrop(photo, transform, size);
    const head = await stylise(models.head, crop, inner, signal);
    pasteBack(canvas, head.frame, await models.mask(size), transform);
    boxes.push({ ...face.box, score: face.score, keypoints: face.keypoints, region: footprint(transform, photo.width, photo.height, size) });
  }
  const headMs = performance.now() - t;
  return { frame: mix(photo, canvas, photoMix(models.background.io, strength)), faces: boxes, detectMs, headMs, tiles: background.stats.tiles };
}
