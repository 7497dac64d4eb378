/**
 * DCT-Net's published styles (Apache-2.0, on ModelScope): fetching their files over HTTPS with
 * resume and checks, converting the TensorFlow graphs to ONNX, and installing them as portrait
 * styles in `models/installed/` with a manifest and a lock file of sizes and SHA-256s.
 *
 * Only the head and background graphs and alpha.jpg are used: faces come from BlazeFace, so the
 * packages' detector and landmark graphs are not fetched.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile, open as openFile } from 'node:fs/promises';
import path from 'node:path';
import { INSTALLED_DIR, type ModelManifest } from '../engine/expert.ts';
import { convertFrozenGraph } from './tf/convert.ts';

export const DCTNET_STYLES = {
  anime: 'damo/cv_unet_person-image-cartoon_compound-models',
  '3d': 'damo/cv_unet_person-image-cartoon-3d_compound-models',
  handdrawn: 'damo/cv_unet_person-image-cartoon-handdrawn_compound-models',
  sketch: 'damo/cv_unet_person-image-cartoon-sketch_compound-models',
  artstyle: 'damo/cv_unet_person-image-cartoon-artstyle_compound-models',
  design: 'damo/cv_unet_person-image-cartoon-sd-design_compound-models',
  illustration: 'damo/cv_unet_person-image-cartoon-sd-illustration_compound-models',
} as const;
export type DctnetStyle = keyof typeof DCTNET_STYLES;

/** The files each style needs, as named in the ModelScope repositories. */
export const STYLE_FILES = { head: 'cartoon_h.pb', background: 'cartoon_bg.pb', mask: 'alpha.jpg' } as const;

export const DEFAULT_MODELSCOPE_URL = 'https://modelscope.cn';

export interface LockEntry {
  model: string;
  source: string;
  files: Record<string, { size: number; sha256: string }>;
}

export interface FetchProgress {
  file: string;
  received: number;
  total: number;
}

export interface PullOptions {
  /** ModelScope's base URL (a mirror, or a test server). */
  baseUrl: string;
  /** The models folder; styles go to `<modelsDir>/installed/`. */
  modelsDir: string;
  onProgress?: (p: FetchProgress) => void;
  /** Attempts per file; each retry resumes where the last one stopped. @default 5 */
  attempts?: number;
  log?: (line: string) => void;
}

export class InstallError extends Error {
  override name = 'InstallError';
}

export function styleId(style: string): string {
  return `dctnet-${style}`;
}

export function isDctnetStyle(style: string): style is DctnetStyle {
  return Object.hasOwn(DCTNET_STYLES, style);
}

interface ListedFile {
  Path: string;
  Size: number;
  Sha256?: string;
  Type?: string;
}

/** Downloads one style's files (resuming), checks them, converts and installs it. */
export async function pullStyle(style: DctnetStyle, opts: PullOptions): Promise<ModelManifest> {
  const model = DCTNET_STYLES[style];
  const base = opts.baseUrl.replace(/\/+$/, '');
  const listUrl = `${base}/api/v1/models/${model}/repo/files?Revision=master&Recursive=true`;
  const res = await fetch(listUrl, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new InstallError(`listing ${model} failed: HTTP ${res.status}`);
  const listing = (await res.json()) as { Code?: number; Data?: { Files?: ListedFile[] } };
  const files = listing.Data?.Files ?? [];
  const staging = path.join(opts.modelsDir, INSTALLED_DIR, `${styleId(style)}.download`);
  await mkdir(staging, { recursive: true });
  const lock: LockEntry = { model, source: `${base}/models/${model}`, files: {} };
  for (const name of Object.values(STYLE_FILES)) {
    const listed = files.find((f) => f.Path === name);
    if (!listed) throw new InstallError(`${model} has no ${name}`);
    const url = `${base}/api/v1/models/${model}/repo?Revision=master&FilePath=${encodeURIComponent(name)}`;
    const target = path.join(staging, name);
    await fetchResumable(url, target, listed.Size, opts);
    const sha256 = await sha256Of(target);
    if (listed.Sha256 && listed.Sha256.toLowerCase() !== sha256) {
      await rm(target, { force: true });
      throw new InstallError(`${name}: SHA-256 ${sha256} differs from the listing's ${listed.Sha256}`);
    }
    lock.files[name] = { size: listed.Size, sha256 };
  }
  return install(style, staging, lock, opts);
}

/** Installs a style from files the user already has (a folder holding cartoon_h.pb, cartoon_bg.pb, alpha.jpg). */
export async function importStyle(style: DctnetStyle, from: string, opts: Pick<PullOptions, 'modelsDir' | 'log'>): Promise<ModelManifest> {
  const staging = path.join(opts.modelsDir, INSTALLED_DIR, `${styleId(style)}.download`);
  await mkdir(staging, { recursive: true });
  const lock: LockEntry = { model: DCTNET_STYLES[style], source: `imported from ${path.resolve(from)}`, files: {} };
  for (const name of Object.values(STYLE_FILES)) {
    const source = path.join(from, name);
    const info = await stat(source).catch(() => null);
    if (!info?.isFile()) throw new InstallError(`${source} is missing`);
    await copyFile(source, path.join(staging, name));
    lock.files[name] = { size: info.size, sha256: await sha256Of(source) };
  }
  return install(style, staging, lock, opts);
}

/** Converts the staged graphs, writes the ONNX files, the manifest and the lock entry. */
async function install(style: DctnetStyle, staging: string, lock: LockEntry, opts: Pick<PullOptions, 'modelsDir' | 'log'>): Promise<ModelManifest> {
  const id = styleId(style);
  const root = path.join(opts.modelsDir, INSTALLED_DIR);
  const dir = path.join(root, id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const converted: Record<'head' | 'background', { file: string; sha256: string; input: string; output: string }> = {} as never;
  for (const part of ['head', 'background'] as const) {
    const graph = await readFile(path.join(staging, STYLE_FILES[part]));
    const onnx = convertFrozenGraph(graph, `${id}_${part}`);
    const [input] = onnx.inputs;
    const [output] = onnx.outputs;
    if (!input || !output || onnx.inputs.length !== 1 || onnx.outputs.length !== 1) {
      throw new InstallError(`${STYLE_FILES[part]}: expected one image input and one output, found ${onnx.inputs.length} and ${onnx.outputs.length}`);
    }
    const file = `${part}.onnx`;
    await writeFile(path.join(dir, file), onnx.bytes);
    converted[part] = { file: `${id}/${file}`, sha256: createHash('sha256').update(onnx.bytes).digest('hex'), input: input.name, output: output.name };
    opts.log?.(`converted ${STYLE_FILES[part]}: ${Object.entries(onnx.ops).map(([op, n]) => `${op}×${n}`).join(' ')}`);
  }
  await rename(path.join(staging, STYLE_FILES.mask), path.join(dir, STYLE_FILES.mask));
  await rm(staging, { recursive: true, force: true });

  const { head, background } = converted;
  const io = (c: typeof head) => ({
    input: c.input,
    output: c.output,
    // The official graphs take BGR 0..255 and give BGR uint8; sides padded to 16 as the official pipeline does.
    layout: 'NCHW' as const,
    range: [0, 255] as const,
    colorOrder: 'BGR' as const,
    sizeMultiple: 16,
    minSide: 16,
  });
  const manifest: ModelManifest = {
    id,
    name: `DCT-Net ${style}`,
    description: `DCT-Net's ${style} style (DAMO Academy, SIGGRAPH 2022), converted from ${lock.model}.`,
    pipeline: 'portrait',
    head: { file: head.file, sha256: head.sha256, io: io(head) },
    mask: `${id}/${STYLE_FILES.mask}`,
    file: background.file,
    sha256: background.sha256,
    license: 'Apache-2.0',
    source: lock.source,
    io: io(background),
    tile: { maxSide: 1024, margin: 16, feather: 32 },
    listed: true,
  };
  await writeFile(path.join(root, `${id}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  const lockFile = path.join(root, 'lock.json');
  const locks = JSON.parse(await readFile(lockFile, 'utf8').catch(() => '{}')) as Record<string, LockEntry>;
  locks[id] = lock;
  await writeFile(lockFile, `${JSON.stringify(locks, null, 2)}\n`);
  return manifest;
}

/**
 * Downloads `url` to `target`, resuming a `.part` file with a Range request after a cut
 * connection, and refuses a file whose size is not `size`.
 */
export async function fetchResumable(url: string, target: string, size: number, opts: Pick<PullOptions, 'attempts' | 'onProgress' | 'log'>): Promise<void> {
  const part = `${target}.part`;
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    const have = (await stat(part).catch(() => null))?.size ?? 0;
    if (have > size) {
      await rm(part, { force: true });
      throw new InstallError(`${path.basename(target)}: received ${have} bytes, the listing says ${size}: refused`);
    }
    try {
      if (have < size || size === 0) await appendFrom(url, part, have, size, opts);
      const got = (await stat(part)).size;
      if (got !== size) {
        await rm(part, { force: true });
        throw new InstallError(`${path.basename(target)}: ${got} bytes where the listing says ${size}: refused`);
      }
      await rename(part, target);
      return;
    } catch (error) {
      if (error instanceof InstallError || attempt >= attempts) throw error;
      opts.log?.(`${path.basename(target)}: ${error instanceof Error ? error.message : String(error)}; resuming (attempt ${attempt + 1} of ${attempts})`);
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
    }
  }
}

async function appendFrom(url: string, part: string, from: number, size: number, opts: Pick<PullOptions, 'onProgress'>): Promise<void> {
  const res = await fetch(url, { headers: from > 0 ? { range: `bytes=${from}-` } : {}, signal: AbortSignal.timeout(10 * 60_000) });
  if (res.status !== 200 && res.status !== 206) throw new Error(`HTTP ${res.status}`);
  if (!res.body) throw new Error('empty response');
  // A server that ignores Range sends the whole file again: start over.
  const resumed = res.status === 206 && from > 0;
  const file = await openFile(part, resumed ? 'a' : 'w');
  let received = resumed ? from : 0;
  try {
    for await (const chunk of res.body) {
      await file.write(chunk);
      received += chunk.byteLength;
      if (received > size) throw new InstallError(`${path.basename(part, '.part')}: more than the listed ${size} bytes: refused`);
      opts.onProgress?.({ file: path.basename(part, '.part'), received, total: size });
    }
  } finally {
    await file.close();
  }
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
