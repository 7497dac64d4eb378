/** Expands the CLI's file and folder arguments into a list of files, in a stable order. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { extensionOf } from '../engine/index.ts';
import type { OutputFormat } from '../engine/index.ts';

/** Extensions picked up when walking a folder; files named explicitly are always tried. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.mp4', '.m4v', '.mov', '.webm', '.mkv']);

export interface InputFile {
  path: string;
  /** Problem found before any decoding (missing file, say). */
  error?: string;
}

export async function expandInputs(args: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      out.push({ path: arg, error: 'no such file or folder' });
      continue;
    }
    if (info.isDirectory()) out.push(...(await walk(arg)));
    else out.push({ path: arg });
  }
  return out;
}

async function walk(dir: string): Promise<InputFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const out: InputFile[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push({ path: p });
  }
  return out;
}

/** `photo.jpg` -> `photo.toon.png`, made unique within one run. */
export function outputName(input: string, style: string, format: OutputFormat | 'mp4' | 'gif', taken: Set<string>): string {
  const base = path.basename(input, path.extname(input));
  let name = `${base}.${style}.${extensionOf(format)}`;
  for (let i = 2; taken.has(name); i += 1) name = `${base}-${i}.${style}.${extensionOf(format)}`;
  taken.add(name);
  return name;
}
