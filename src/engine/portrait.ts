/**
 * The portrait pipeline, the DCT-Net way: find the faces, stylise the whole frame with the
 * background model, then for each face (largest first, later ones on top) cut an aligned 288x288
 * crop, stylise it with the head model, and blend it back through a soft mask. The strength
 * blend comes last, over the whole result, so that strength means the same in both pipelines.
 */
import type { Face, Point } from './faces/BlazeFace.ts';
import { faceTransform, footprint, pasteBack, warpCrop } from './faces/align.ts';
import type { FaceFinder } from './faces/FaceFinder.ts';
import { mix, stylise, type FrameModel } from './fullFrame.ts';
import type { RgbFrame } from './image.ts';
import { ToonError } from './errors.ts';

export interface PortraitModels {
  background: FrameModel;
  head: FrameModel;
  /** 288x288 soft mask, 0..1. */
  mask: Float32Array;
}

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  keypoints: Point[];
  /** Image-space bounds of the aligned crop: nothing outside them is touched for this face. */
  region: { x0: number; y0: number; x1: number; y1: number };
}

export interface PortraitOutcome {
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

  const background = await stylise(models.background, photo, 1, signal);
  const canvas = background.frame;
  t = performance.now();
  const boxes: FaceBox[] = [];
  for (const face of faces) {
    if (signal?.aborted) throw signal.reason instanceof ToonError ? signal.reason : new ToonError('CANCELLED');
    const transform = faceTransform(face.keypoints);
    const crop = warpCrop(photo, transform);
    const head = await stylise(models.head, crop, 1, signal);
    pasteBack(canvas, head.frame, models.mask, transform);
    boxes.push({ ...face.box, score: face.score, keypoints: face.keypoints, region: footprint(transform, photo.width, photo.height) });
  }
  const headMs = performance.now() - t;
  return { frame: mix(photo, canvas, strength), faces: boxes, detectMs, headMs, tiles: background.stats.tiles };
}
