/**
 * Installing DCT-Net's published styles: fetching their files over HTTPS with
 * resume and checks (or copying them from a folder), converting the TensorFlow graphs to ONNX, and installing them as portrait
 * styles in `models/installed/` with a manifest and a lock file of sizes and SHA-256s.
 *
 * Only the head and background graphs and alpha.jpg are used: faces come from BlazeFace, so the
 * packages' detector and landmark graphs are not fetched.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INSTALLED_DIR, sha256, sha256OfFile, validateManifest, type Int8Spec, type ModelIO, type ModelManifest } from '../engine/expert.ts';
import { convertFrozenGraph } from '../modelgen/tf/convert.ts';
import { fetchResumable } from './fetch.ts';
import { makeInt8, MAX_MEAN_ERROR } from './int8.ts';
import { dropLock, writeLock } from './lock.ts';
import { DCTNET_STYLES, InstallError, STYLE_FILES, styleId, type DctnetStyle, type LockEntry, type PullOptions } from './styles.ts';

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
    const digest = await sha256OfFile(target);
    if (digest === null) throw new InstallError(`${name}: could not be read back after the download`);
    if (listed.Sha256 && listed.Sha256.toLowerCase() !== digest) {
      await rm(target, { force: true });
      throw new InstallError(`${name}: SHA-256 ${digest} differs from the listing's ${listed.Sha256}`);
    }
    lock.files[name] = { size: listed.Size, sha256: digest };
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
    lock.files[name] = { size: info.size, sha256: sha256(await readFile(source)) };
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
  const converted: Record<'head' | 'background', { file: string; sha256: string; input: string; output: string; int8?: Int8Spec }> = {} as never;
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
    converted[part] = { file: `${id}/${file}`, sha256: sha256(onnx.bytes), input: input.name, output: output.name };
    opts.log?.(`converted ${STYLE_FILES[part]}: ${Object.entries(onnx.ops).map(([op, n]) => `${op}×${n}`).join(' ')}`);
    const int8 = await int8Graph(onnx.bytes, styleIo(input.name, output.name), root, `${id}/${part}`, opts.log);
    if (int8) converted[part].int8 = int8;
  }
  await rename(path.join(staging, STYLE_FILES.mask), path.join(dir, STYLE_FILES.mask));
  await rm(staging, { recursive: true, force: true });

  const { head, background } = converted;
  const io = (c: typeof head) => styleIo(c.input, c.output);
  const manifest: ModelManifest = {
    id,
    name: `DCT-Net ${style}`,
    description: `DCT-Net's ${style} style (DAMO Academy, SIGGRAPH 2022), converted from ${lock.model}.`,
    pipeline: 'portrait',
    head: { file: head.file, sha256: head.sha256, ...(head.int8 ? { int8: head.int8 } : {}), io: io(head) },
    mask: `${id}/${STYLE_FILES.mask}`,
    file: background.file,
    sha256: background.sha256,
    ...(background.int8 ? { int8: background.int8 } : {}),
    license: 'Apache-2.0',
    source: lock.source,
    io: io(background),
    tile: { maxSide: 1024, margin: 16, feather: 32 },
    listed: true,
  };
  await writeFile(path.join(root, `${id}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeLock(opts.modelsDir, id, lock);
  return manifest;
}

/** What DCT-Net's graphs take and give: BGR 0..255, NCHW, sides padded to 16 as the official pipeline does. */
function styleIo(input: string, output: string): ModelIO {
  return { input, output, layout: 'NCHW', range: [0, 255], colorOrder: 'BGR', sizeMultiple: 16, minSide: 16 };
}

/**
 * An int8 graph for the CPU next to `name`.onnx, kept when it stays within a grey level of the
 * fp32 one; says in the log what was decided and why.
 */
async function int8Graph(fp32: Uint8Array, io: ModelIO, root: string, name: string, log?: (line: string) => void): Promise<Int8Spec | undefined> {
  const made = await makeInt8(fp32, io);
  const part = path.basename(name);
  if ('skipped' in made) {
    log?.(`int8 ${part}: skipped (${made.skipped})`);
    return undefined;
  }
  if (!made.kept) {
    log?.(`int8 ${part}: not used, mean error ${made.meanError} grey levels (p99 ${made.p99Error}) is above ${MAX_MEAN_ERROR}`);
    return undefined;
  }
  const file = `${name}.int8.onnx`;
  await writeFile(path.join(root, file), made.bytes);
  log?.(`int8 ${part}: mean error ${made.meanError} grey levels, p99 ${made.p99Error}: used on the CPU`);
  return { file, sha256: sha256(made.bytes), meanError: made.meanError, p99Error: made.p99Error };
}

/**
 * Adds int8 graphs to a style installed before `pull` made them (or made again after the photos
 * changed). Only installed styles: the built-in graphs are depthwise filters, nothing to quantise.
 * @returns the manifest as written
 */
export async function quantizeInstalled(modelsDir: string, id: string, log?: (line: string) => void): Promise<ModelManifest> {
  const root = path.join(modelsDir, INSTALLED_DIR);
  const where = path.join(root, `${id}.json`);
  const raw = await readFile(where, 'utf8').catch(() => null);
  if (raw === null) throw new InstallError(`${id} is not an installed style (see \`toonbot models list\`)`);
  const manifest = validateManifest(JSON.parse(raw), where);
  const graph = (file: string) => readFile(path.resolve(root, file));
  const { int8: _old, ...plain } = manifest;
  const int8 = await int8Graph(await graph(manifest.file), manifest.io, root, manifest.file.replace(/\.onnx$/, ''), log);
  let head = manifest.head;
  if (head) {
    const { int8: _oldHead, ...plainHead } = head;
    const headInt8 = await int8Graph(await graph(head.file), head.io ?? manifest.io, root, head.file.replace(/\.onnx$/, ''), log);
    head = { ...plainHead, ...(headInt8 ? { int8: headInt8 } : {}) };
  }
  const updated: ModelManifest = { ...plain, ...(int8 ? { int8 } : {}), ...(head ? { head } : {}) };
  await writeFile(where, `${JSON.stringify(updated, null, 2)}\n`);
  return updated;
}

/**
 * Takes an installed style away: its manifest, its folder and its lock entry. Running bots stop
 * offering it at their next start. The built-in styles are not installed and cannot be removed.
 * @throws InstallError naming the installed styles when `id` is not one of them
 */
export async function removeInstalled(modelsDir: string, id: string): Promise<void> {
  const root = path.join(modelsDir, INSTALLED_DIR);
  const manifest = path.join(root, `${id}.json`);
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id) || !(await stat(manifest).catch(() => undefined))) {
    const installed = (await readdir(root).catch(() => [] as string[])).filter((f) => f.endsWith('.json') && f !== 'lock.json').map((f) => f.slice(0, -5));
    throw new InstallError(`"${id}" is not an installed style (installed: ${installed.join(', ') || 'none'}; the built-in ones cannot be removed)`);
  }
  await rm(manifest);
  await rm(path.join(root, id), { recursive: true, force: true });
  await dropLock(modelsDir, id);
}
