/**
 * The models the benchmark compares: the built-in style as installed, and the DCT-Net topology
 * with seeded weights, generated into a temporary folder (never offered as a style).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MODELS_DIR, loadManifests, sha256, type ModelEntry } from '../../src/engine/expert.ts';
import { buildDctnetTopology, DCTNET_SIZE_MULTIPLE } from '../../src/modelgen/dctnetTopology.ts';

export const BENCH_MODEL_IDS = ['toon', 'dctnet-topology'] as const;
/** The other built-in looks: measured per output size against toon (each must be no slower). */
export const BENCH_LOOK_IDS = ['sketch', 'manga', 'comic'] as const;
export type BenchModelId = (typeof BENCH_MODEL_IDS)[number] | (typeof BENCH_LOOK_IDS)[number];

export async function benchModel(id: BenchModelId): Promise<ModelEntry> {
  if (id !== 'dctnet-topology') {
    const entry = (await loadManifests(DEFAULT_MODELS_DIR)).find((m) => m.manifest.id === id);
    if (!entry) throw new Error(`models/${id}.json is missing: run \`npm run models\``);
    return entry;
  }
  const { bytes } = buildDctnetTopology();
  const dir = path.join(os.tmpdir(), 'toonbot-bench');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'dctnet-topology.onnx');
  await writeFile(file, bytes);
  return {
    file,
    manifest: {
      id: 'dctnet-topology',
      name: 'DCT-Net topology (random weights)',
      description: 'benchmark only',
      pipeline: 'full-frame',
      file: 'dctnet-topology.onnx',
      sha256: sha256(bytes),
      license: 'Apache-2.0',
      source: 'src/modelgen/dctnetTopology.ts',
      io: { input: 'image', output: 'cartoon', layout: 'NCHW', range: [-1, 1], colorOrder: 'RGB', sizeMultiple: DCTNET_SIZE_MULTIPLE, minSide: 16 },
      // 1024² tiles keep the UNet's activations near 1 GB; 2048² untiled needs several GB.
      tile: { maxSide: 1088, margin: 16, feather: 32 },
      listed: false,
    },
  };
}
