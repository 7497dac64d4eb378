import { describe, expect, it } from 'vitest';
import type { TileSpec } from '../../src/engine/expert.ts';
import { planAxis } from '../../src/engine/tiling.ts';
import { tiledAgainstWhole } from '../tiled.ts';

const spec: TileSpec = { maxSide: 128, margin: 10, feather: 8 };

describe('planAxis', () => {
  it('keeps a short axis in one tile', () => {
    const [tile, ...rest] = planAxis(100, spec, 4);
    expect(rest).toEqual([]);
    expect(tile?.start).toBe(0);
    expect(tile?.length).toBe(100);
  });

  it.each([129, 300, 517, 1000, 1004])('covers %i px with equal tiles within the limit, overlapping by at least margin·2 + feather', (length) => {
    const tiles = planAxis(length, spec, 4);
    expect(tiles.length).toBeGreaterThan(1);
    const size = tiles[0]?.length as number;
    expect(size).toBeLessThanOrEqual(spec.maxSide);
    expect(size % 4).toBe(0);
    expect(tiles[0]?.start).toBe(0);
    const last = tiles.at(-1) as (typeof tiles)[number];
    expect(last.start + last.length).toBe(length);
    for (let i = 1; i < tiles.length; i += 1) {
      const prev = tiles[i - 1] as (typeof tiles)[number];
      const cur = tiles[i] as (typeof tiles)[number];
      expect(cur.length).toBe(size);
      expect(prev.start + prev.length - cur.start).toBeGreaterThanOrEqual(2 * spec.margin + spec.feather);
      // On a padded frame (a multiple of 4) every tile starts on the multiple too.
      if (length % 4 === 0) expect(cur.start % 4).toBe(0);
    }
    // Every pixel gets weight from some tile, and no tile gives weight inside an inner margin.
    const sum = new Float32Array(length);
    for (const [i, t] of tiles.entries()) {
      t.weights.forEach((w, p) => {
        if (i > 0 && p < spec.margin) expect(w).toBe(0);
        if (i < tiles.length - 1 && p >= t.length - spec.margin) expect(w).toBe(0);
        sum[t.start + p] = (sum[t.start + p] as number) + w;
      });
    }
    expect(Math.min(...sum)).toBeGreaterThan(0);
  });
});

describe('stylise with tiles', () => {
  it('stitches the built-in style seamlessly: tiled output equals the untiled one', async () => {
    const r = await tiledAgainstWhole('toon');
    expect(r.wholeTiles).toBe(1);
    expect(r.tiles).toBeGreaterThanOrEqual(6);
    // Identical up to float rounding: at most one 8-bit step anywhere, and almost nowhere that.
    expect(r.worst).toBeLessThanOrEqual(1);
    expect(r.over(0)).toBeLessThan(r.values / 1000);
  });
});
