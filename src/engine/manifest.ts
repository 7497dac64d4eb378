/**
 * Model manifests (`models/*.json`): what a model is, where its file is and its checksum, and
 * what its graph expects. Validated once when the engine starts.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SessionTuning } from './runtime.ts';

export interface TileSpec {
  /** Largest tile side the model is run on; bigger frames are split. */
  maxSide: number;
  /** Pixels along a tile's inner edges that are not trusted (the model's reach), dropped. */
  margin: number;
  /** Width of the cross-fade between neighbouring tiles, beyond the margins. */
  feather: number;
}

export interface ModelIO {
  input: string;
  output: string;
  layout: 'NCHW' | 'NHWC';
  /** Value range of the tensors, [0, 1] or [-1, 1] say; 8-bit 0..255 maps onto it linearly. */
  range: readonly [number, number];
  colorOrder: 'RGB' | 'BGR';
  /**
   * Element type of the image tensors, in and out: `float32` (the default), or `uint8` for a graph
   * that takes and gives 8-bit pixels itself (range [0, 255]; NHWC RGB ones are passed as the
   * frame's own bytes, with no conversion loop around the model).
   */
  pixels?: 'float32' | 'uint8';
  /** Frame sides are padded up to a multiple of this. */
  sizeMultiple: number;
  /** Frame sides are padded up to at least this. */
  minSide: number;
  /**
   * Name of a graph input (float32, shape [1]) that takes the strength. A graph that has one applies
   * strength itself (how far its abstraction goes) and the photo is not mixed in; without one, the
   * engine blends photo and output linearly.
   */
  strength?: string;
  /**
   * Name of a graph input (float32, shape [2]) that takes the tile's top-left corner in the frame
   * (x, y): graphs that draw a pattern fixed to the page (screentone dots, hatching) line it up
   * across tiles with it.
   */
  origin?: string;
  /**
   * Name of a graph input (float32, shape [5]) that takes where a face crop sits in the frame and
   * the page's scale: [a, b, tx, ty, scale], crop pixel (x, y) at frame pixel (a·x + b·y + tx,
   * −b·x + a·y + ty), and the whole-frame graph's scale (its side / 1024). A face graph that draws
   * part of the page's pattern (manga's screentone on the hair) lines it up with the page with it.
   * A size variant without that input is run without it.
   */
  placement?: string;
  /**
   * For a graph that holds several styles (the built-in looks share one file, and so one session
   * and its memory): the name of its int64 scalar input that picks one, and this style's value.
   */
  select?: { input: string; value: number };
}

/** The same style as a graph built for another output size (long side, px). */
export interface SizeVariant {
  side: number;
  file: string;
  sha256: string;
}

/**
 * An int8 (QDQ) version of a graph, run instead of `file` when the models run on the CPU, with the
 * error measured against the fp32 graph when it was made (grey levels, 0..255).
 */
export interface Int8Spec {
  file: string;
  sha256: string;
  meanError: number;
  p99Error: number;
}

interface HeadSpec {
  file: string;
  sha256: string;
  int8?: Int8Spec;
  /** What the head graph expects; the background's `io` when absent. */
  io?: ModelIO;
  /** Graphs of the head model for other sizes; see ModelManifest.variants. */
  variants?: SizeVariant[];
  /**
   * `native`: face crops are cut at the photo's own resolution (the crop follows the face's size)
   * instead of DCT-Net's fixed 288x288, for head models whose radii follow the output size.
   * `face`: each face is cut at the head variant's side nearest the face's own resolution and
   * drawn by that variant, for head models whose radii follow the face (a small face in a group
   * photo is drawn at its own scale, not the output's).
   */
  crop?: 'native' | 'face';
  /** `crop: face`: the crop side `file` is built for (its variants give theirs). */
  side?: number;
}

export interface ModelManifest {
  id: string;
  name: string;
  description: string;
  /** The description in other languages, by language code (`zh`): shown to users of that language. */
  descriptions?: Record<string, string>;
  /** `full-frame`: one graph over the frame. `portrait`: that graph as background, plus `head` on each face. */
  pipeline: 'full-frame' | 'portrait';
  head?: HeadSpec;
  /** A greyscale soft mask for the face crops (DCT-Net's alpha.jpg); a generated ellipse when absent. */
  mask?: string;
  /** Path of the ONNX file, relative to the manifest. */
  file: string;
  sha256: string;
  /** The graph in int8, for the CPU (see Int8Spec). */
  int8?: Int8Spec;
  /**
   * The same style built for other output sizes, for graphs whose filter radii are fixed in pixels:
   * the engine runs the graph whose side is nearest the output's long side (in ratio), `file` being
   * the one for `side`. Absent: `file` serves every size.
   */
  side?: number;
  variants?: SizeVariant[];
  license: string;
  source: string;
  io: ModelIO;
  tile: TileSpec;
  /** onnxruntime session options measured best for this graph (runtime.ts SessionTuning). */
  session?: SessionTuning;
  /** Offered to users as a style. @default true */
  listed: boolean;
  /** Other ids that name this style (old names kept working: `toon-portrait` is `toon` now). */
  aliases?: string[];
}

export interface ModelEntry {
  manifest: ModelManifest;
  /** Absolute path of the ONNX file. */
  file: string;
  /** Absolute path of each size variant's file, by side (with `file` under the manifest's `side`). */
  variantFiles?: Map<number, string>;
  /** The same for the head model's variants. */
  headVariantFiles?: Map<number, string>;
  /** Absolute path of the int8 graph (manifest `int8`), run on the CPU. */
  int8File?: string;
  headInt8File?: string;
  /** Absolute paths of the head model and the mask, for the portrait pipeline. */
  headFile?: string;
  maskFile?: string;
}

/** Where `toonbot models pull/import` installs styles, inside the models folder (git-ignored). */
export const INSTALLED_DIR = 'installed';

/**
 * Reads every `*.json` manifest in `dir` and in `dir/installed/`, sorted by id. Throws on the first
 * invalid one.
 */
export async function loadManifests(dir: string): Promise<ModelEntry[]> {
  const installed = path.join(dir, INSTALLED_DIR);
  const list = async (d: string) =>
    (await readdir(d).catch(() => [] as string[]))
      .filter((n) => n.endsWith('.json') && n !== 'lock.json')
      .sort()
      .map((n) => path.join(d, n));
  const entries: ModelEntry[] = [];
  for (const where of [...(await list(dir)), ...(await list(installed))]) {
    const base = path.dirname(where);
    const manifest = validateManifest(JSON.parse(await readFile(where, 'utf8')), where);
    entries.push({
      manifest,
      file: path.resolve(base, manifest.file),
      ...(manifest.variants ? { variantFiles: new Map(manifest.variants.map((v) => [v.side, path.resolve(base, v.file)])) } : {}),
      ...(manifest.head ? { headFile: path.resolve(base, manifest.head.file) } : {}),
      ...(manifest.head?.variants ? { headVariantFiles: new Map(manifest.head.variants.map((v) => [v.side, path.resolve(base, v.file)])) } : {}),
      ...(manifest.mask ? { maskFile: path.resolve(base, manifest.mask) } : {}),
      ...(manifest.int8 ? { int8File: path.resolve(base, manifest.int8.file) } : {}),
      ...(manifest.head?.int8 ? { headInt8File: path.resolve(base, manifest.head.int8.file) } : {}),
    });
  }
  return entries.sort((a, b) => a.manifest.id.localeCompare(b.manifest.id));
}

/** Checks a parsed manifest field by field; `where` names it in errors. */
export function validateManifest(raw: unknown, where = 'manifest'): ModelManifest {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(`${where}: expected ${expected} for ${field}, got ${JSON.stringify(got)}`);
  };
  const obj = (v: unknown, field: string): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field, 'an object', v));
  const str = (v: unknown, field: string, re = /./): string => (typeof v === 'string' && re.test(v) ? v : fail(field, `a string matching ${re}`, v));
  const int = (v: unknown, field: string, min: number): number => (Number.isInteger(v) && (v as number) >= min ? (v as number) : fail(field, `an integer >= ${min}`, v));
  const oneOf = <T extends string>(v: unknown, field: string, options: readonly T[]): T => (options.includes(v as T) ? (v as T) : fail(field, `one of ${options.join(', ')}`, v));

  const m = obj(raw, 'manifest');
  const tile = obj(m.tile, 'tile');
  const parseIo = (value: unknown, field: string): ModelIO => {
    const io = obj(value, field);
    const rawRange: unknown[] = Array.isArray(io.range) ? io.range : [];
    const [low, high] = rawRange;
    const range = rawRange.length === 2 && typeof low === 'number' && typeof high === 'number' && low < high ? ([low, high] as const) : fail(`${field}.range`, '[low, high]', io.range);
    return {
      input: str(io.input, `${field}.input`),
      output: str(io.output, `${field}.output`),
      layout: oneOf(io.layout, `${field}.layout`, ['NCHW', 'NHWC'] as const),
      range,
      colorOrder: oneOf(io.colorOrder, `${field}.colorOrder`, ['RGB', 'BGR'] as const),
      sizeMultiple: int(io.sizeMultiple, `${field}.sizeMultiple`, 1),
      minSide: int(io.minSide, `${field}.minSide`, 1),
      ...(io.strength === undefined ? {} : { strength: str(io.strength, `${field}.strength`) }),
      ...(io.origin === undefined ? {} : { origin: str(io.origin, `${field}.origin`) }),
      ...(io.placement === undefined ? {} : { placement: str(io.placement, `${field}.placement`) }),
      ...(io.pixels === undefined ? {} : { pixels: oneOf(io.pixels, `${field}.pixels`, ['float32', 'uint8'] as const) }),
      ...(io.select === undefined ? {} : { select: parseSelect(io.select, `${field}.select`) }),
    };
  };
  const parseSelect = (select: unknown, field: string): { input: string; value: number } => {
    const { input, value } = obj(select, field);
    return { input: str(input, `${field}.input`), value: int(value, `${field}.value`, 0) };
  };
  const parseSession = (session: Record<string, unknown>): SessionTuning => ({
    ...(session.optimization === undefined ? {} : { optimization: oneOf(session.optimization, 'session.optimization', ['basic', 'extended', 'all'] as const) }),
    ...(session.memoryPattern === undefined
      ? {}
      : { memoryPattern: typeof session.memoryPattern === 'boolean' ? session.memoryPattern : fail('session.memoryPattern', 'a boolean', session.memoryPattern) }),
    ...(session.spinning === undefined ? {} : { spinning: typeof session.spinning === 'boolean' ? session.spinning : fail('session.spinning', 'a boolean', session.spinning) }),
  });
  const parseVariants = (value: unknown, field: string): SizeVariant[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0) return fail(field, 'a non-empty array', value);
    return value.map((v, i) => {
      const o = obj(v, `${field}[${i}]`);
      return { side: int(o.side, `${field}[${i}].side`, 16), file: str(o.file, `${field}[${i}].file`, /\.onnx$/), sha256: str(o.sha256, `${field}[${i}].sha256`, /^[0-9a-f]{64}$/) };
    });
  };
  const num = (v: unknown, field: string): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(field, 'a number >= 0', v));
  const parseInt8 = (value: unknown, field: string): { int8?: Int8Spec } => {
    if (value === undefined) return {};
    const o = obj(value, field);
    return {
      int8: {
        file: str(o.file, `${field}.file`, /\.onnx$/),
        sha256: str(o.sha256, `${field}.sha256`, /^[0-9a-f]{64}$/),
        meanError: num(o.meanError, `${field}.meanError`),
        p99Error: num(o.p99Error, `${field}.p99Error`),
      },
    };
  };
  const parseDescriptions = (o: Record<string, unknown>): Record<string, string> =>
    Object.fromEntries(Object.entries(o).map(([lang, text]) => [str(lang, 'descriptions key', /^[a-z]{2,3}(-[A-Za-z]{2,4})?$/), str(text, `descriptions.${lang}`)]));
  const pipeline = oneOf(m.pipeline, 'pipeline', ['full-frame', 'portrait'] as const);
  let head: HeadSpec | undefined;
  if (pipeline === 'portrait') {
    const h = obj(m.head, 'head');
    const headVariants = parseVariants(h.variants, 'head.variants');
    head = {
      file: str(h.file, 'head.file', /\.onnx$/),
      sha256: str(h.sha256, 'head.sha256', /^[0-9a-f]{64}$/),
      ...parseInt8(h.int8, 'head.int8'),
      ...(h.io === undefined ? {} : { io: parseIo(h.io, 'head.io') }),
      ...(headVariants ? { variants: headVariants } : {}),
      ...(h.crop === undefined ? {} : { crop: oneOf(h.crop, 'head.crop', ['native', 'face'] as const) }),
      ...(h.side === undefined ? {} : { side: int(h.side, 'head.side', 16) }),
    };
  }
  const manifest: ModelManifest = {
    id: str(m.id, 'id', /^[a-z0-9][a-z0-9._-]{0,63}$/),
    name: str(m.name, 'name'),
    description: typeof m.description === 'string' ? m.description : '',
    ...(m.descriptions === undefined ? {} : { descriptions: parseDescriptions(obj(m.descriptions, 'descriptions')) }),
    pipeline,
    ...(head ? { head } : {}),
    ...(typeof m.mask === 'string' ? { mask: m.mask } : {}),
    file: str(m.file, 'file', /\.onnx$/),
    sha256: str(m.sha256, 'sha256', /^[0-9a-f]{64}$/),
    ...parseInt8(m.int8, 'int8'),
    ...(m.side === undefined ? {} : { side: int(m.side, 'side', 16) }),
    ...(m.variants === undefined ? {} : { variants: parseVariants(m.variants, 'variants') }),
    license: str(m.license, 'license'),
    source: str(m.source, 'source'),
    io: parseIo(m.io, 'io'),
    tile: {
      maxSide: int(tile.maxSide, 'tile.maxSide', 64),
      margin: int(tile.margin, 'tile.margin', 0),
      feather: int(tile.feather, 'tile.feather', 0),
    },
    ...(m.session === undefined ? {} : { session: parseSession(obj(m.session, 'session')) }),
    listed: m.listed === undefined ? true : typeof m.listed === 'boolean' ? m.listed : fail('listed', 'a boolean', m.listed),
    ...(m.aliases === undefined
      ? {}
      : { aliases: Array.isArray(m.aliases) ? m.aliases.map((a, i) => str(a, `aliases[${i}]`, /^[a-z0-9._-]{1,64}$/)) : fail('aliases', 'a list of style ids', m.aliases) }),
  };
  if (manifest.variants && manifest.side === undefined) fail('side', 'the side of `file` when variants are listed', m.side);
  if (manifest.io.pixels === 'uint8' && (manifest.io.range[0] !== 0 || manifest.io.range[1] !== 255)) fail('io.range', '[0, 255] for 8-bit pixels', manifest.io.range);
  if (manifest.tile.maxSide % manifest.io.sizeMultiple !== 0) fail('tile.maxSide', `a multiple of io.sizeMultiple (${manifest.io.sizeMultiple})`, manifest.tile.maxSide);
  if (2 * (2 * manifest.tile.margin + manifest.tile.feather) >= manifest.tile.maxSide) fail('tile', 'margins and feather well inside maxSide', m.tile);
  return manifest;
}
