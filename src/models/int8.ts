/**
 * An int8 version of an installed style's graph, for the CPU: quantised (QDQ, src/modelgen/
 * quantize.ts) with activation ranges from real photos, then compared with the fp32 graph on those
 * photos. It is kept only when its mean error is at most 1 grey level (0..255); otherwise the
 * style stays fp32 and the error is said.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ModelIO } from '../engine/expert.ts';
import { quantizeQdq } from '../modelgen/quantize.ts';

/** The photos calibration and the error check use: public-domain and CC0 photos the project ships. */
export const CALIBRATION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../assets/calibration');
/** Largest mean error (grey levels) for the int8 graph to be used. */
export const MAX_MEAN_ERROR = 1;

type Int8Outcome = { bytes: Uint8Array; meanError: number; p99Error: number; kept: boolean } | { skipped: string };

export async function makeInt8(fp32: Uint8Array, io: ModelIO, photosDir = CALIBRATION_DIR): Promise<Int8Outcome> {
  const photos = (await readdir(photosDir).catch(() => [] as string[])).filter((n) => /\.(png|jpe?g|webp)$/i.test(n)).sort().map((n) => path.join(photosDir, n));
  if (photos.length === 0) return { skipped: `no calibration photos in ${photosDir}` };
  if (io.layout !== 'NCHW') return { skipped: 'only NCHW graphs are quantised' };
  const side = (s: number) => Math.max(io.minSide, Math.ceil(s / io.sizeMultiple) * io.sizeMultiple);
  const calibration = await Promise.all(photos.map((p) => toTensor(p, side(384), io)));
  const { bytes } = await quantizeQdq(fp32, { calibration });
  // The error on the same photos at a larger size, as grey levels of the output.
  const [f, q] = await Promise.all([ort.InferenceSession.create(fp32), ort.InferenceSession.create(bytes)]);
  try {
    const errors: number[] = [];
    const grey = 255 / (io.range[1] - io.range[0]);
    for (const photo of photos) {
      const input = await toTensor(photo, side(512), io);
      const [a, b] = await Promise.all([run(f, input), run(q, input)]);
      const perGrey = a instanceof Float32Array ? grey : 1;
      for (let i = 0; i < a.length; i += 1) errors.push(Math.abs((a[i] as number) - (b[i] as number)) * perGrey);
    }
    errors.sort((x, y) => x - y);
    const meanError = round(errors.reduce((s, e) => s + e, 0) / errors.length);
    const p99Error = round(errors[Math.floor(errors.length * 0.99)] ?? 0);
    return { bytes, meanError, p99Error, kept: meanError <= MAX_MEAN_ERROR };
  } finally {
    await Promise.all([f.release(), q.release()]);
  }
}

async function run(session: ort.InferenceSession, input: { data: Float32Array; dims: number[] }): Promise<ArrayLike<number>> {
  const out = await session.run({ [session.inputNames[0] as string]: new ort.Tensor('float32', input.data, input.dims) });
  return out[session.outputNames[0] as string]?.data as ArrayLike<number>;
}

/** A photo as the graph's input: square, NCHW, its colour order and value range. */
async function toTensor(file: string, side: number, io: ModelIO): Promise<{ data: Float32Array; dims: number[] }> {
  const rgb = await sharp(file).resize(side, side, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const [lo, hi] = io.range;
  const plane = side * side;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i += 1) {
    for (let c = 0; c < 3; c += 1) {
      const source = io.colorOrder === 'BGR' ? 2 - c : c;
      data[c * plane + i] = lo + ((rgb[i * 3 + source] as number) / 255) * (hi - lo);
    }
  }
  return { data, dims: [1, 3, side, side] };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
