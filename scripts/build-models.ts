/**
 * Regenerates the models this project makes with its own code (`npm run models`):
 * models/toon.onnx, its manifest and its portrait variant's. Deterministic: a second run changes nothing.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MODELS_DIR } from '../src/engine/index.ts';
import { builtinModel, builtinPortraitManifest } from '../src/modelgen/builtinManifest.ts';

const { bytes, manifest } = builtinModel();
await writeFile(path.join(DEFAULT_MODELS_DIR, manifest.file), bytes);
await writeFile(path.join(DEFAULT_MODELS_DIR, `${manifest.id}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
const portrait = builtinPortraitManifest(manifest);
await writeFile(path.join(DEFAULT_MODELS_DIR, `${portrait.id}.json`), `${JSON.stringify(portrait, null, 2)}\n`);
console.log(`wrote models/${manifest.file} (${bytes.length} bytes, sha256 ${manifest.sha256}), ${manifest.id}.json and ${portrait.id}.json`);
