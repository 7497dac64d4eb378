/**
 * What an imported image-to-image graph is, read from its signature and found by running it: the
 * layout, the value range (the one whose output looks like the photo), the size multiple (the
 * smallest that comes back at its own size) and the reach (how far one pixel moves the output).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { CALIBRATION_DIR } from './int8.ts';
import { InstallError } from './styles.ts';
import type { OnnxImportOptions } from './onnxImport.ts';

export type Range = readonly [number, number];
export const RANGES: Record<string, Range> = { '-1..1': [-1, 1], '0..1': [0, 1], '0..255': [0, 255] };

/** What the graph's signature says, and what a run on a photo showed. */
export interface Detected {
  input: string;
  output: string;
  layout: 'NCHW' | 'NHWC';
  /** A side the graph only takes (fixed spatial size), if any. */
  fixedSide?: number;
  range: Range;
  sizeMultiple: number;
}

/** Reads the signature: one float image input and one output, channels first or last. */
export async function readSignature(bytes: Uint8Array, override: Pick<OnnxImportOptions, 'layout'> = {}): Promise<Omit<Detected, 'range' | 'sizeMultiple'>> {
  const session = await ort.InferenceSession.create(bytes).catch((error: unknown) => {
    throw new InstallError(`not a model onnxruntime can open: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  });
  try {
    const [input, ...moreIn] = session.inputMetadata;
    const [output] = session.outputMetadata;
    if (!input || !output || moreIn.length > 0) throw new InstallError(`expected one image input, found ${session.inputMetadata.length}`);
    if (!input.isTensor || input.type !== 'float32') throw new InstallError(`the input ${input.name} is not a float32 tensor: only float image graphs are imported`);
    const shape = input.shape;
    if (shape.length !== 4) throw new InstallError(`the input ${input.name} has ${shape.length} dimensions, not 4 (batch, height, width, channels in some order)`);
    const layout = override.layout ?? (shape[3] === 3 ? 'NHWC' : shape[1] === 3 ? 'NCHW' : undefined);
    if (!layout) throw new InstallError(`cannot tell where the 3 colour channels are in ${input.name} [${shape.join(', ')}]: pass --layout NHWC or NCHW`);
    const [h, w] = layout === 'NHWC' ? [shape[1], shape[2]] : [shape[2], shape[3]];
    const fixedSide = typeof h === 'number' && typeof w === 'number' && h > 0 && h === w ? h : undefined;
    if (typeof h === 'number' && typeof w === 'number' && h > 0 && h !== w) throw new InstallError(`the graph only takes ${w}x${h} frames: non-square fixed sizes are not supported`);
    return { input: input.name, output: output.name, layout, ...(fixedSide ? { fixedSide } : {}) };
  } finally {
    await session.release();
  }
}

/** The photo as the graph's input tensor, in a layout, range and colour order. */
function toInput(rgb: Uint8Array, side: number, layout: 'NCHW' | 'NHWC', range: Range, bgr: boolean): Float32Array {
  const plane = side * side;
  const out = new Float32Array(3 * plane);
  const [lo, hi] = range;
  for (let p = 0; p < plane; p += 1) {
    for (let c = 0; c < 3; c += 1) {
      const v = lo + ((rgb[p * 3 + (bgr ? 2 - c : c)] as number) / 255) * (hi - lo);
      out[layout === 'NHWC' ? p * 3 + c : c * plane + p] = v;
    }
  }
  return out;
}

/** The output's luminance (0..255) per pixel, reading it in the same conventions. */
function outputLuma(out: Float32Array, side: number, layout: 'NCHW' | 'NHWC', range: Range): Float32Array {
  const plane = side * side;
  const [lo, hi] = range;
  const luma = new Float32Array(plane);
  for (let p = 0; p < plane; p += 1) {
    let sum = 0;
    for (let c = 0; c < 3; c += 1) sum += out[layout === 'NHWC' ? p * 3 + c : c * plane + p] as number;
    luma[p] = (((sum / 3) - lo) / (hi - lo)) * 255;
  }
  return luma;
}

function correlation(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i += 1) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i += 1) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

interface Trial {
  range: Range;
  /** Share of output values inside the range (a graph in another range spills out of it). */
  inside: number;
  /** Correlation of the output's luminance with the photo's. */
  likeness: number;
  spread: number;
  /** How far the output's mean tone is from the photo's (0..255): a stylizer keeps the overall tone. */
  shift: number;
}

/**
 * Runs the graph on a photo in each candidate range and keeps the one whose output stays in that
 * range and looks like the photo.
 * @throws InstallError when no range gives an image: the output's size, a constant, or noise
 */
export async function detectRange(bytes: Uint8Array, sig: Omit<Detected, 'range' | 'sizeMultiple'>, side: number, opts: Pick<OnnxImportOptions, 'range' | 'colorOrder'>): Promise<{ range: Range; likeness: number }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const photo = path.join(CALIBRATION_DIR, 'astronaut.jpg');
    const rgb = await sharp(await readFile(photo)).resize(side, side, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const photoLuma = new Float32Array(side * side).map((_, p) => ((rgb[p * 3] as number) + (rgb[p * 3 + 1] as number) + (rgb[p * 3 + 2] as number)) / 3);
    const dims = sig.layout === 'NHWC' ? [1, side, side, 3] : [1, 3, side, side];
    const trials: Trial[] = [];
    for (const range of opts.range ? [opts.range] : Object.values(RANGES)) {
      const result = await session.run({ [sig.input]: new ort.Tensor('float32', toInput(rgb, side, sig.layout, range, opts.colorOrder === 'BGR'), dims) });
      const out = result[sig.output];
      if (!out || out.type !== 'float32') throw new InstallError(`the output ${sig.output} is not a float32 tensor`);
      const expected = dims.reduce((a, b) => a * b, 1);
      if (out.data.length !== expected || out.dims.join() !== dims.join()) {
        throw new InstallError(`the output is [${out.dims.join(', ')}] for an input of [${dims.join(', ')}]: not an image-to-image graph of the same size (try --layout ${sig.layout === 'NHWC' ? 'NCHW' : 'NHWC'})`);
      }
      const data = out.data as Float32Array;
      const [lo, hi] = range;
      const margin = (hi - lo) * 0.02;
      let inside = 0;
      for (const v of data) if (v >= lo - margin && v <= hi + margin) inside += 1;
      const luma = outputLuma(data, side, sig.layout, range);
      let min = Infinity;
      let max = -Infinity;
      for (const v of luma) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
      trials.push({ range, inside: inside / data.length, likeness: correlation(luma, photoLuma), spread: max - min, shift: Math.abs(mean(luma) - mean(photoLuma)) });
    }
    // In the wrong range a graph still answers, but washed out or pushed light or dark: the range
    // whose output keeps the photo's structure and overall tone best wins ([-1, 1] first on a tie).
    const score = (t: Trial) => t.likeness - t.shift / 255;
    const good = trials.filter((t) => t.inside > 0.98 && t.spread > 16 && t.likeness > 0.3).sort((a, b) => score(b) - score(a));
    const best = good[0];
    if (!best) {
      // Said of the trials that came closest: in range and varied (then it is noise), in range
      // only (a constant), or out of every range tried.
      const inRange = trials.filter((t) => t.inside > 0.98);
      const why = inRange.length === 0 ? 'its output leaves every range tried' : inRange.some((t) => t.spread > 16) ? 'its output does not look like the photo (noise)' : 'its output is a flat constant';
      throw new InstallError(`the graph does not give an image back: ${why}. Try another --range (${Object.keys(RANGES).join(', ')}), --layout or --bgr`);
    }
    return { range: best.range, likeness: best.likeness };
  } finally {
    await session.release();
  }
}

/**
 * The multiple the graph's sides must have: the smallest of 8, 16 and 32 for which a frame whose
 * side is an odd multiple of it comes back at its own size (a graph that halves its frame k times
 * and doubles it back needs 2^k).
 * @throws InstallError when none does
 */
export async function detectMultiple(bytes: Uint8Array, sig: Omit<Detected, 'range' | 'sizeMultiple'>): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    for (const multiple of [8, 16, 32]) {
      const side = multiple * (Math.round(256 / multiple / 2) * 2 + 1);
      const dims = sig.layout === 'NHWC' ? [1, side, side, 3] : [1, 3, side, side];
      const out = await session.run({ [sig.input]: new ort.Tensor('float32', new Float32Array(3 * side * side), dims) }).catch(() => undefined);
      if (out?.[sig.output]?.dims.join() === dims.join()) return multiple;
    }
  } finally {
    await session.release();
  }
  throw new InstallError('the graph gives no frame back at its own size for sides a multiple of 8, 16 or 32: pass --multiple (or --layout)');
}

/** How far (px) one input pixel reaches in the output: the tiling margin. */
export async function receptiveField(bytes: Uint8Array, sig: Omit<Detected, 'range' | 'sizeMultiple'>, range: Range, side: number): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const dims = sig.layout === 'NHWC' ? [1, side, side, 3] : [1, 3, side, side];
    const grey = new Uint8Array(side * side * 3).fill(128);
    const run = async (rgb: Uint8Array) => (await session.run({ [sig.input]: new ort.Tensor('float32', toInput(rgb, side, sig.layout, range, false), dims) }))[sig.output]?.data as Float32Array;
    const base = await run(grey);
    const c = side >> 1;
    const poked = grey.slice();
    poked.fill(255, (c * side + c) * 3, (c * side + c) * 3 + 3);
    const moved = await run(poked);
    const tolerance = (range[1] - range[0]) * 1e-3;
    let reach = 0;
    for (let p = 0; p < side * side; p += 1) {
      for (let ch = 0; ch < 3; ch += 1) {
        const i = sig.layout === 'NHWC' ? p * 3 + ch : ch * side * side + p;
        if (Math.abs((base[i] as number) - (moved[i] as number)) > tolerance) reach = Math.max(reach, Math.abs((p % side) - c), Math.abs(Math.floor(p / side) - c));
      }
    }
    return reach;
  } finally {
    await session.release();
  }
}

/** One run of the graph on a `side`² frame, timed after a first untimed one (ms). */
export async function timeRun(bytes: Uint8Array, sig: Omit<Detected, 'range' | 'sizeMultiple'>, side: number): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const dims = sig.layout === 'NHWC' ? [1, side, side, 3] : [1, 3, side, side];
    const feeds = { [sig.input]: new ort.Tensor('float32', new Float32Array(3 * side * side), dims) };
    await session.run(feeds);
    const t = performance.now();
    await session.run(feeds);
    return performance.now() - t;
  } finally {
    await session.release();
  }
}
