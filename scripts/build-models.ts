/**
 * Regenerates the models this project makes with its own code (`npm run models`): the built-in
 * style's graphs (one per output size, plus its face pass's, one per crop size) and manifest, and
 * the other looks' (sketch, manga, comic) graphs and manifests.
 * Deterministic: a second run changes nothing.
 */
import { readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MODELS_DIR } from '../src/engine/expert.ts';
import { builtinModels } from '../src/modelgen/builtinManifest.ts';

const { files, manifest, looks } = builtinModels();
const wanted = new Set(files.map((f) => f.file));
// Graphs of an earlier generation that no manifest names any more.
for (const name of await readdir(DEFAULT_MODELS_DIR)) {
  if (/^(toon|sketch|manga|comic|looks|faces)(-[a-z0-9]+)*\.onnx$/.test(name) && !wanted.has(name)) await unlink(path.join(DEFAULT_MODELS_DIR, name));
}
let bytes = 0;
for (const { file, bytes: b } of files) {
  await writeFile(path.join(DEFAULT_MODELS_DIR, file), b);
  bytes += b.length;
}
const manifests = [manifest, ...looks];
// Manifests of an earlier generation (toon-portrait is an alias of toon now).
for (const gone of ['toon-portrait.json']) await unlink(path.join(DEFAULT_MODELS_DIR, gone)).catch(() => undefined);
for (const m of manifests) await writeFile(path.join(DEFAULT_MODELS_DIR, `${m.id}.json`), `${JSON.stringify(m, null, 2)}\n`);
console.log(`wrote ${files.length} graphs in models/ (${(bytes / 1024).toFixed(0)} KiB in all), ${manifests.map((m) => `${m.id}.json`).join(', ')}`);
