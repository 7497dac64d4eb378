/**
 * The full-frame pipeline: one image-to-image graph over the whole frame, tiled when the frame is
 * larger than the model's tile size, then blended with the photo by strength.
 *
 * The frame is padded (edge pixels repeated) up to the model's size multiple and minimum side,
 * converted tile by tile into the model's layout, range and colour order, and cropped back.
 */
import { ToonError } from './errors.ts';
import type { RgbFrame } from './image.ts';
import type { ModelIO, TileSpec } from './manifest.ts';
import { planAxis, roundUp, type AxisTile } from './tiling.ts';

/** What the pipeline needs of a model: its contract and a way to run one tensor. */
export interface FrameModel {
  io: ModelIO;
  tile: TileSpec;
  run(data: Float32Array, dims: readonly number[]): Promise<Float32Array>;
}

export interface FrameStats {
  tiles: number;
  /** Milliseconds spent inside the model's run calls. */
  modelMs: number;
}

/** The tile grid the pipeline will run for a frame of this size: each tile's input dims. */
export function planTiles(width: number, height: number, io: ModelIO, tile: TileSpec): number[][] {
  const xs = planAxis(roundUp(Math.max(width, io.minSide), io.sizeMultiple), tile, io.sizeMultiple);
  const ys = planAxis(roundUp(Math.max(height, io.minSide), io.sizeMultiple), tile, io.sizeMultiple);
  return ys.flatMap((ty) => xs.map((tx) => (io.layout === 'NCHW' ? [1, 3, ty.length, tx.length] : [1, ty.length, tx.length, 3])));
}

/**
 * Stylises `frame` and returns the cartoon as float RGB in [0, 1], interleaved (HWC).
 * `signal` is checked between tiles, so a cancelled or late job stops at the next tile.
 */
export async function stylise(model: FrameModel, frame: RgbFrame, signal?: AbortSignal): Promise<{ cartoon: Float32Array; stats: FrameStats }> {
  const { io } = model;
  const paddedW = roundUp(Math.max(frame.width, io.minSide), io.sizeMultiple);
  const paddedH = roundUp(Math.max(frame.height, io.minSide), io.sizeMultiple);
  const xs = planAxis(paddedW, model.tile, io.sizeMultiple);
  const ys = planAxis(paddedH, model.tile, io.sizeMultiple);
  const single = xs.length === 1 && ys.length === 1;
  const cartoon = new Float32Array(frame.width * frame.height * 3);
  const weightSum = single ? undefined : new Float32Array(frame.width * frame.height);
  const stats: FrameStats = { tiles: 0, modelMs: 0 };

  for (const ty of ys) {
    for (const tx of xs) {
      if (signal?.aborted) throw signal.reason instanceof ToonError ? signal.reason : new ToonError('CANCELLED', { cause: signal.reason });
      const input = toTensor(frame, tx, ty, io);
      const t0 = performance.now();
      const output = await model.run(input.data, input.dims);
      stats.modelMs += performance.now() - t0;
      stats.tiles += 1;
      accumulate(output, frame, tx, ty, io, cartoon, weightSum);
    }
  }
  if (weightSum) {
    for (let p = 0; p < weightSum.length; p += 1) {
      const inv = 1 / (weightSum[p] as number);
      cartoon[p * 3] = (cartoon[p * 3] as number) * inv;
      cartoon[p * 3 + 1] = (cartoon[p * 3 + 1] as number) * inv;
      cartoon[p * 3 + 2] = (cartoon[p * 3 + 2] as number) * inv;
    }
  }
  return { cartoon, stats };
}

/** Blends photo (0) to cartoon (1) by `strength` into a new 8-bit RGB frame. */
export function blend(photo: RgbFrame, cartoon: Float32Array, strength: number): RgbFrame {
  const out = Buffer.allocUnsafe(photo.data.length);
  const keep = 1 - strength;
  const add = 255 * strength;
  for (let i = 0; i < out.length; i += 1) {
    const v = (photo.data[i] as number) * keep + (cartoon[i] as number) * add;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { data: out, width: photo.width, height: photo.height };
}

/** Cuts one tile out of the frame (edges repeated past the frame) in the model's format. */
function toTensor(frame: RgbFrame, tx: AxisTile, ty: AxisTile, io: ModelIO): { data: Float32Array; dims: number[] } {
  const w = tx.length;
  const h = ty.length;
  const plane = w * h;
  const data = new Float32Array(plane * 3);
  const [lo, hi] = io.range;
  const scale = (hi - lo) / 255;
  const order = io.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const nchw = io.layout === 'NCHW';
  const src = frame.data;
  const lastX = frame.width - 1;
  const lastY = frame.height - 1;
  for (let y = 0; y < h; y += 1) {
    const row = Math.min(ty.start + y, lastY) * frame.width;
    for (let x = 0; x < w; x += 1) {
      const s = (row + Math.min(tx.start + x, lastX)) * 3;
      const p = y * w + x;
      for (let c = 0; c < 3; c += 1) {
        const v = lo + (src[s + (order[c] as number)] as number) * scale;
        data[nchw ? c * plane + p : p * 3 + c] = v;
      }
    }
  }
  return { data, dims: nchw ? [1, 3, h, w] : [1, h, w, 3] };
}

/** Adds a tile's output (mapped back to RGB in [0, 1]) into the frame-sized accumulators. */
function accumulate(
  output: Float32Array,
  frame: RgbFrame,
  tx: AxisTile,
  ty: AxisTile,
  io: ModelIO,
  cartoon: Float32Array,
  weightSum: Float32Array | undefined,
): void {
  const w = tx.length;
  const plane = w * ty.length;
  const [lo, hi] = io.range;
  const inv = 1 / (hi - lo);
  const order = io.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const nchw = io.layout === 'NCHW';
  const yEnd = Math.min(ty.length, frame.height - ty.start);
  const xEnd = Math.min(w, frame.width - tx.start);
  for (let y = 0; y < yEnd; y += 1) {
    const wy = ty.weights[y] as number;
    if (weightSum && wy === 0) continue;
    for (let x = 0; x < xEnd; x += 1) {
      const weight = weightSum ? wy * (tx.weights[x] as number) : 1;
      if (weight === 0) continue;
      const p = y * w + x;
      const d = (ty.start + y) * frame.width + tx.start + x;
      for (let c = 0; c < 3; c += 1) {
        const v = ((output[nchw ? (order[c] as number) * plane + p : p * 3 + (order[c] as number)] as number) - lo) * inv;
        cartoon[d * 3 + c] = (cartoon[d * 3 + c] as number) + v * weight;
      }
      if (weightSum) weightSum[d] = (weightSum[d] as number) + weight;
    }
  }
}
