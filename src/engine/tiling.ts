/**
 * Splitting a frame into overlapping tiles, so a model's memory stays bounded at any resolution,
 * and weights that stitch the tiles back without seams. Along inner tile edges a margin (the
 * model's reach) is dropped and the neighbours cross-fade over `feather` pixels; for a model whose
 * reach is within the margin the stitched result equals the untiled one.
 */
import type { TileSpec } from './manifest.ts';

export interface AxisTile {
  start: number;
  length: number;
  /** Weight at each local position, 0..1. */
  weights: Float32Array;
}

export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/**
 * Tiles covering [0, length) along one axis. Every tile has the same length, a multiple of
 * `multiple` and at most `spec.maxSide`, unless the whole axis fits in one tile.
 */
export function planAxis(length: number, spec: TileSpec, multiple: number): AxisTile[] {
  if (length <= spec.maxSide) return [{ start: 0, length, weights: new Float32Array(length).fill(1) }];
  // Tiles start on a multiple too (a graph that reduces its input by that factor sees the same
  // cells in a tile as in the whole frame); the rounding may cost one multiple of overlap.
  const overlap = 2 * spec.margin + spec.feather + (multiple > 1 ? multiple : 0);
  let n = Math.ceil((length - overlap) / (spec.maxSide - overlap));
  let size = roundUp(Math.ceil((length + (n - 1) * overlap) / n), multiple);
  while (size > spec.maxSide) {
    n += 1;
    size = roundUp(Math.ceil((length + (n - 1) * overlap) / n), multiple);
  }
  const tiles: AxisTile[] = [];
  for (let i = 0; i < n; i += 1) {
    const start = i === n - 1 ? length - size : Math.round((i * (length - size)) / (n - 1) / multiple) * multiple;
    tiles.push({ start, length: size, weights: edgeWeights(size, spec, i > 0, i < n - 1) });
  }
  return tiles;
}

function edgeWeights(size: number, spec: TileSpec, fadeIn: boolean, fadeOut: boolean): Float32Array {
  const w = new Float32Array(size);
  for (let p = 0; p < size; p += 1) {
    let v = 1;
    if (fadeIn) v = Math.min(v, ramp(p, spec.margin, spec.feather));
    if (fadeOut) v = Math.min(v, ramp(size - 1 - p, spec.margin, spec.feather));
    w[p] = v;
  }
  return w;
}

/** 0 inside the margin, then up to 1 across the feather (a step when feather is 0). */
function ramp(distance: number, margin: number, feather: number): number {
  if (distance < margin) return 0;
  if (feather === 0) return 1;
  return Math.min(1, (distance - margin + 1) / (feather + 1));
}
