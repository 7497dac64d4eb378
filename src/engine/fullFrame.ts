/**
 * The full-frame pipeline: one image-to-image graph over the whole frame, tiled when the frame is
 * larger than the model's tile size, then blended with the photo by strength (blend.ts).
 *
 * The frame is padded (edge pixels repeated) up to the model's size multiple and minimum side,
 * converted tile by tile into the model's layout, range and colour order, and cropped back.
 */
import { ToonError } from './errors.ts';
import type { RgbFrame } from './image.ts';
import type { ModelIO, TileSpec } from './manifest.ts';
import type { Placement, TileData } from './session.ts';
import { mix, photoMix } from './blend.ts';
import { planAxis, roundUp, type AxisTile } from './tiling.ts';

/** What the pipeline needs of a model: its contract and a way to run one tensor. */
export interface FrameModel {
  io: ModelIO;
  tile: TileSpec;
  /**
   * `origin`: the tile's top-left corner in the frame (x, y), for graphs that take it;
   * `placement`: where a face crop sits in the frame (ModelIO.placement), for graphs that take it.
   */
  run(data: TileData, dims: readonly number[], strength?: number, origin?: readonly [number, number], placement?: Placement): Promise<TileData>;
}

interface FrameStats {
  tiles: number;
  /** Milliseconds spent inside the model's run calls. */
  modelMs: number;
}

/**
 * Frames are padded up to a multiple of this (or the model's own multiple, if larger), so that a
 * model sees a few dozen input shapes instead of one per photo: onnxruntime plans memory per
 * shape, and a long-running bot fed every possible shape kept growing (soak: +40..70 % resident
 * memory over 1,000 small jobs; with buckets +2..9 %). Costs at most 63 rows and columns of work.
 */
const SHAPE_BUCKET = 64;

/** The padded length of a frame side; never tiled for the bucket's sake alone. */
function padded(length: number, io: ModelIO, tile: TileSpec): number {
  const exact = roundUp(Math.max(length, io.minSide), io.sizeMultiple);
  const bucketed = roundUp(exact, Math.max(io.sizeMultiple, SHAPE_BUCKET));
  return bucketed > tile.maxSide && exact <= tile.maxSide ? exact : bucketed;
}

/** The tile grid the pipeline will run for a frame of this size: each tile's input dims. */
export function planTiles(width: number, height: number, io: ModelIO, tile: TileSpec): number[][] {
  const xs = planAxis(padded(width, io, tile), tile, io.sizeMultiple);
  const ys = planAxis(padded(height, io, tile), tile, io.sizeMultiple);
  return ys.flatMap((ty) => xs.map((tx) => (io.layout === 'NCHW' ? [1, 3, ty.length, tx.length] : [1, ty.length, tx.length, 3])));
}

/**
 * Stylises `frame` and blends the result with it: 0 = the photo, 1 = the model's output. A graph
 * with a strength input gets the strength instead, and its output is the result.
 * Several tiles are first stitched with weights.
 * `signal` is checked between tiles, so a cancelled or late job stops at the next tile.
 */
export async function stylise(model: FrameModel, frame: RgbFrame, strength: number, signal?: AbortSignal, placement?: Placement): Promise<{ frame: RgbFrame; stats: FrameStats }> {
  const { io } = model;
  const xs = planAxis(padded(frame.width, io, model.tile), model.tile, io.sizeMultiple);
  const ys = planAxis(padded(frame.height, io, model.tile), model.tile, io.sizeMultiple);
  const stats: FrameStats = { tiles: 0, modelMs: 0 };
  const runTile = async (tx: AxisTile, ty: AxisTile): Promise<TileData> => {
    if (signal?.aborted) throw signal.reason instanceof ToonError ? signal.reason : new ToonError('CANCELLED', { cause: signal.reason });
    const input = toTensor(frame, tx, ty, io);
    const t0 = performance.now();
    const output = await model.run(input.data, input.dims, strength, [tx.start, ty.start], placement);
    stats.modelMs += performance.now() - t0;
    stats.tiles += 1;
    return output;
  };

  let styled: RgbFrame;
  if (xs.length === 1 && ys.length === 1) {
    const [tx, ty] = [xs[0] as AxisTile, ys[0] as AxisTile];
    styled = tileToFrame(await runTile(tx, ty), frame.width, frame.height, tx.length, ty.length, io);
  } else {
    const cartoon = new Float32Array(frame.width * frame.height * 3);
    const weightSum = new Float32Array(frame.width * frame.height);
    for (const ty of ys) {
      for (const tx of xs) accumulate(await runTile(tx, ty), frame, tx, ty, io, cartoon, weightSum);
    }
    styled = stitchedToFrame(cartoon, weightSum, frame.width, frame.height);
  }
  return { frame: mix(frame, styled, photoMix(io, strength)), stats };
}

/** True for an 8-bit NHWC RGB model: its tensors are laid out like a frame, byte for byte. */
function frameShaped(io: ModelIO): boolean {
  return io.pixels === 'uint8' && io.layout === 'NHWC' && io.colorOrder === 'RGB';
}

/** The frame's part of a one-tile output, mapped from the model's format to 8-bit RGB. */
function tileToFrame(output: TileData, width: number, height: number, tileWidth: number, tileHeight: number, io: ModelIO): RgbFrame {
  if (frameShaped(io) && output instanceof Uint8Array) {
    const bytes = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
    if (tileWidth === width && tileHeight === height) return { data: bytes, width, height };
    // Rows of the padded tile, cut back to the frame.
    const data = Buffer.allocUnsafe(width * height * 3);
    for (let y = 0; y < height; y += 1) bytes.copy(data, y * width * 3, y * tileWidth * 3, (y * tileWidth + width) * 3);
    return { data, width, height };
  }
  const [lo, hi] = io.range;
  const scale = 255 / (hi - lo);
  const [r, g, b] = sourceChannels(io, tileWidth * tileHeight);
  const ps = io.layout === 'NCHW' ? 1 : 3;
  // A clamped array rounds and clips on write: no branches in the loop.
  const out = new Uint8ClampedArray(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const d = (y * width + x) * 3;
      const o = (y * tileWidth + x) * ps;
      out[d] = ((output[o + r] as number) - lo) * scale;
      out[d + 1] = ((output[o + g] as number) - lo) * scale;
      out[d + 2] = ((output[o + b] as number) - lo) * scale;
    }
  }
  return { data: Buffer.from(out.buffer, out.byteOffset, out.byteLength), width, height };
}

/** Σ weighted tiles / Σ weights, as 8-bit RGB. */
function stitchedToFrame(cartoon: Float32Array, weightSum: Float32Array, width: number, height: number): RgbFrame {
  const out = new Uint8ClampedArray(cartoon.length);
  for (let p = 0; p < weightSum.length; p += 1) {
    const k = 255 / (weightSum[p] as number);
    const d = p * 3;
    out[d] = (cartoon[d] as number) * k;
    out[d + 1] = (cartoon[d + 1] as number) * k;
    out[d + 2] = (cartoon[d + 2] as number) * k;
  }
  return { data: Buffer.from(out.buffer, out.byteOffset, out.byteLength), width, height };
}

/** Offsets, within one pixel of a tile tensor, of the frame's R, G and B. */
function sourceChannels(io: ModelIO, plane: number): [number, number, number] {
  const channel = io.layout === 'NCHW' ? plane : 1;
  return io.colorOrder === 'RGB' ? [0, channel, 2 * channel] : [2 * channel, channel, 0];
}

/** Cuts one tile out of the frame (edges repeated past the frame) in the model's format. */
function toTensor(frame: RgbFrame, tx: AxisTile, ty: AxisTile, io: ModelIO): { data: TileData; dims: number[] } {
  const w = tx.length;
  const h = ty.length;
  if (frameShaped(io)) return { data: frameBytes(frame, tx, ty), dims: [1, h, w, 3] };
  const plane = w * h;
  const data = io.pixels === 'uint8' ? new Uint8Array(plane * 3) : new Float32Array(plane * 3);
  const [lo, hi] = io.range;
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v += 1) lut[v] = lo + (v * (hi - lo)) / 255;
  const [r, g, b] = sourceChannels(io, plane);
  const ps = io.layout === 'NCHW' ? 1 : 3;
  const src = frame.data;
  const inside = Math.min(w, frame.width - tx.start);
  const lastX = frame.width - 1;
  for (let y = 0; y < h; y += 1) {
    const row = Math.min(ty.start + y, frame.height - 1) * frame.width;
    for (let x = 0; x < w; x += 1) {
      const s = (row + (x < inside ? tx.start + x : lastX)) * 3;
      const d = (y * w + x) * ps;
      data[d + r] = lut[src[s] as number] as number;
      data[d + g] = lut[src[s + 1] as number] as number;
      data[d + b] = lut[src[s + 2] as number] as number;
    }
  }
  return { data, dims: io.layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3] };
}

/**
 * One tile of the frame as 8-bit RGB bytes, edges repeated past the frame: the frame's own buffer
 * when the tile is the whole frame, else row copies.
 */
function frameBytes(frame: RgbFrame, tx: AxisTile, ty: AxisTile): Uint8Array {
  const w = tx.length;
  const h = ty.length;
  const src = frame.data;
  if (tx.start === 0 && ty.start === 0 && w === frame.width && h === frame.height) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const data = Buffer.allocUnsafe(w * h * 3);
  const inside = Math.max(0, Math.min(w, frame.width - tx.start));
  for (let y = 0; y < h; y += 1) {
    const row = Math.min(ty.start + y, frame.height - 1) * frame.width;
    const at = y * w * 3;
    src.copy(data, at, (row + tx.start) * 3, (row + tx.start + inside) * 3);
    // Past the frame's right edge: its last pixel, repeated.
    for (let x = inside; x < w; x += 1) src.copy(data, at + x * 3, (row + frame.width - 1) * 3, (row + frame.width) * 3);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Adds a tile's output, weighted and mapped back to RGB in [0, 1], into frame-sized sums. */
function accumulate(output: TileData, frame: RgbFrame, tx: AxisTile, ty: AxisTile, io: ModelIO, cartoon: Float32Array, weightSum: Float32Array): void {
  const w = tx.length;
  const [lo, hi] = io.range;
  const inv = 1 / (hi - lo);
  const [r, g, b] = sourceChannels(io, w * ty.length);
  const ps = io.layout === 'NCHW' ? 1 : 3;
  const yEnd = Math.min(ty.length, frame.height - ty.start);
  const xEnd = Math.min(w, frame.width - tx.start);
  for (let y = 0; y < yEnd; y += 1) {
    const wy = ty.weights[y] as number;
    if (wy === 0) continue;
    const rowOut = (ty.start + y) * frame.width + tx.start;
    for (let x = 0; x < xEnd; x += 1) {
      const weight = wy * (tx.weights[x] as number);
      if (weight === 0) continue;
      const o = (y * w + x) * ps;
      const d = rowOut + x;
      const k = weight * inv;
      cartoon[d * 3] = (cartoon[d * 3] as number) + ((output[o + r] as number) - lo) * k;
      cartoon[d * 3 + 1] = (cartoon[d * 3 + 1] as number) + ((output[o + g] as number) - lo) * k;
      cartoon[d * 3 + 2] = (cartoon[d * 3 + 2] as number) + ((output[o + b] as number) - lo) * k;
      weightSum[d] = (weightSum[d] as number) + weight;
    }
  }
}
