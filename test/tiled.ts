/**
 * A built-in style run on a 1600x1200 frame whole and in tiles just larger than its margins
 * (3x2 or more): how far apart the two come out.
 */
import { decodeImage, DEFAULT_ENGINE_CONFIG, DEFAULT_MODELS_DIR, loadManifests, ModelSession, silentLogger, stylise, type ModelEntry } from '../src/engine/expert.ts';
import { fixture } from './helpers.ts';

export async function tiledAgainstWhole(id: string): Promise<{ entry: ModelEntry; wholeTiles: number; tiles: number; worst: number; over: (d: number) => number; values: number }> {
  const [entry] = (await loadManifests(DEFAULT_MODELS_DIR)).filter((m) => m.manifest.id === id) as [ModelEntry];
  const session = await ModelSession.open(entry, DEFAULT_ENGINE_CONFIG.runtime, silentLogger);
  try {
    const frame = await decodeImage(fixture('coffee.png'), 1600, 1200, { maxPixels: 1e8, maxBytes: 1e8 });
    const run = (data: Parameters<typeof session.run>[0], dims: readonly number[], strength?: number, origin?: readonly [number, number]) => session.run(data, dims, strength, origin);
    const { margin, feather } = entry.manifest.tile;
    const maxSide = 2 * margin + feather + 400 - ((2 * margin + feather) % 4);
    const whole = await stylise({ io: entry.manifest.io, tile: entry.manifest.tile, run }, frame, 1);
    const tiled = await stylise({ io: entry.manifest.io, tile: { ...entry.manifest.tile, maxSide }, run }, frame, 1);
    const diffs = whole.frame.data.map((v, i) => Math.abs(v - (tiled.frame.data[i] as number)));
    return {
      entry,
      wholeTiles: whole.stats.tiles,
      tiles: tiled.stats.tiles,
      worst: diffs.reduce((a, b) => Math.max(a, b), 0),
      over: (d) => diffs.reduce((n, v) => n + (v > d ? 1 : 0), 0),
      values: diffs.length,
    };
  } finally {
    await session.dispose();
  }
}
