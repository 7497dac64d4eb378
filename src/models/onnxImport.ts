/**
 * Installing an image-to-image ONNX generator someone already has (AnimeGANv2/v3: Hayao, Shinkai,
 * Paprika, face paint...) as a style: `toonbot models import <name> <file.onnx> --licence ...`.
 *
 * The graph's conventions are read from its signature where it says them (layout from where the
 * 3 channels sit, a fixed side), the value range from what it does to a real photo, and flags
 * override each; AnimeGAN's usual ones are NHWC float, RGB, [-1, 1] in and out, sides a multiple
 * of 8. Before anything is installed the graph runs on the fixtures: an output that is not an
 * image of the input's size, a constant, or noise unrelated to the photo is refused, with the
 * convention to try. The tiling margin is measured (an impulse in, how far the output moves).
 * float16 graphs get float32 edges first (float16.ts), and are then read like any other.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INSTALLED_DIR, sha256, type ModelIO, type ModelManifest } from '../engine/expert.ts';
import { makeInt8, MAX_MEAN_ERROR } from './int8.ts';
import { detectMultiple, detectRange, readSignature, receptiveField, timeRun } from './onnxDetect.ts';
import { writeLock } from './lock.ts';
import { castEdgesToFloat32 } from './float16.ts';
import { InstallError } from './styles.ts';

import type { Range } from './onnxDetect.ts';

export { RANGES } from './onnxDetect.ts';

export interface OnnxImportOptions {
  modelsDir: string;
  /** The weights' licence, as the user states it (required: they will be served to others). */
  licence: string;
  source?: string;
  layout?: 'NCHW' | 'NHWC';
  range?: Range;
  colorOrder?: 'RGB' | 'BGR';
  sizeMultiple?: number;
  log?: (line: string) => void;
}

/** Reads a graph, makes its float16 edges float32, and finds its conventions (logged). */
async function inspect(file: string, opts: Omit<OnnxImportOptions, 'modelsDir' | 'licence'>) {
  const original = await readFile(file).catch(() => {
    throw new InstallError(`${file} cannot be read`);
  });
  if (opts.sizeMultiple !== undefined && opts.sizeMultiple < 1) throw new InstallError('--multiple is a whole number of at least 1');
  const log = opts.log ?? (() => undefined);
  const edges = (() => {
    try {
      return castEdgesToFloat32(original);
    } catch (error) {
      throw new InstallError(`not a model onnxruntime can open: ${error instanceof Error ? error.message : String(error)}`);
    }
  })();
  const bytes = edges.bytes;
  const halfEdges = [edges.input ? 'input' : '', edges.output ? 'output' : ''].filter(Boolean);
  if (halfEdges.length > 0) log(`float16 ${halfEdges.join(' and ')}: a cast to float32 added at the graph's edge (installed that way; inside, the graph computes as it was made${edges.halfInside ? ', in float16' : ''})`);
  const sig = await readSignature(bytes, opts);
  const sizeMultiple = opts.sizeMultiple ?? sig.fixedSide ?? (await detectMultiple(bytes, sig));
  const trialSide = sig.fixedSide ?? Math.ceil(256 / sizeMultiple) * sizeMultiple;
  const { range, likeness } = await detectRange(bytes, sig, trialSide, opts);
  const reach = await receptiveField(bytes, sig, range, trialSide);
  log(`${path.basename(file)}: ${sig.layout}, range ${range.join('..')}, ${opts.colorOrder ?? 'RGB'}, sides a multiple of ${sizeMultiple}${sig.fixedSide ? ` (fixed ${sig.fixedSide})` : ''}; likeness to the photo ${likeness.toFixed(2)}; reach ${reach} px`);

  return { original, edges, bytes, halfEdges, sig, sizeMultiple, range, reach, log };
}

/**
 * Checks a file without installing it: what the import would find, and how long one run at 1024
 * takes on this machine. @returns that run's time, ms
 */
export async function checkOnnx(file: string, opts: Omit<OnnxImportOptions, 'modelsDir' | 'licence'>): Promise<number> {
  const { bytes, sig, sizeMultiple, log } = await inspect(file, opts);
  const side = sig.fixedSide ?? Math.ceil(1024 / sizeMultiple) * sizeMultiple;
  const ms = Math.round(await timeRun(bytes, sig, side));
  log(`one ${side}x${side} run takes ${ms} ms on this machine (a photo at 1024 costs about that, plus decoding and encoding)`);
  return ms;
}

/** Checks, measures and installs the graph as style `id`. */
export async function importOnnx(id: string, file: string, opts: OnnxImportOptions): Promise<ModelManifest> {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(id)) throw new InstallError(`a style name is lowercase letters, digits and dashes (got "${id}")`);
  if (!opts.licence.trim()) throw new InstallError('say under which licence the weights may be used (--licence "...")');
  const { original, edges, bytes, halfEdges, sig, sizeMultiple, range, reach, log } = await inspect(file, opts);
  const root = path.join(opts.modelsDir, INSTALLED_DIR);
  await mkdir(path.join(root, id), { recursive: true });
  // The graph as the engine runs it (its float16 edges cast); its checksum is of these bytes.
  await writeFile(path.join(root, id, 'model.onnx'), bytes);
  const io: ModelIO = { input: sig.input, output: sig.output, layout: sig.layout, range, colorOrder: opts.colorOrder ?? 'RGB', sizeMultiple, minSide: sizeMultiple };
  const maxSide = sig.fixedSide ?? Math.max(sizeMultiple, Math.floor(1024 / sizeMultiple) * sizeMultiple);
  const margin = Math.min(Math.ceil(reach / sizeMultiple) * sizeMultiple, Math.floor(maxSide / 4));
  let int8: ModelManifest['int8'];
  const made = sig.fixedSide ? { skipped: 'a fixed-size graph' } : edges.halfInside ? { skipped: 'a float16 graph' } : await makeInt8(bytes, io);
  if ('skipped' in made) log(`int8: skipped (${made.skipped})`);
  else if (!made.kept) log(`int8: not used, mean error ${made.meanError} grey levels is above ${MAX_MEAN_ERROR}`);
  else {
    await writeFile(path.join(root, id, 'model.int8.onnx'), made.bytes);
    int8 = { file: `${id}/model.int8.onnx`, sha256: sha256(made.bytes), meanError: made.meanError, p99Error: made.p99Error };
  }
  const source = opts.source ?? `imported from ${path.resolve(file)}`;
  const manifest: ModelManifest = {
    id,
    name: id.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => `${dash ? ' ' : ''}${c.toUpperCase()}`),
    description: `Imported image-to-image generator (${path.basename(file)}): ${sig.layout}, range ${range.join('..')}, ${io.colorOrder}${edges.halfInside ? ', float16' : ''}.`,
    pipeline: 'full-frame',
    file: `${id}/model.onnx`,
    sha256: sha256(bytes),
    ...(int8 ? { int8 } : {}),
    license: opts.licence,
    source,
    io,
    tile: { maxSide, margin, feather: Math.min(32, margin) },
    listed: true,
  };
  await writeFile(path.join(root, `${id}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeLock(opts.modelsDir, id, {
    model: path.basename(file),
    source,
    files: { 'model.onnx': { size: bytes.length, sha256: sha256(bytes) } },
    ...(halfEdges.length > 0 ? { from: { size: original.length, sha256: sha256(original) } } : {}),
  });
  return manifest;
}
