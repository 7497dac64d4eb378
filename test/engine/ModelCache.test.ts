/**
 * The engine's open sessions are bounded: past `maxSessions` the least recently used one is
 * closed (its memory goes back), and opened again when it is needed. Styles that share a graph
 * file (the built-in looks) share its session, each fed its own look.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_MODELS_DIR, forSide, loadManifests, silentLogger } from '../../src/engine/expert.ts';
import { frameModel, ModelCache } from '../../src/engine/ModelCache.ts';

describe('ModelCache', () => {
  it('keeps the most recently used sessions open and closes the rest', async () => {
    const toonEntry = (await loadManifests(DEFAULT_MODELS_DIR)).find((m) => m.manifest.id === 'toon');
    if (!toonEntry) throw new Error('no toon manifest');
    // Three graph files: toon at three output sizes.
    const [small, medium, large] = [256, 512, 2048].map((side) => forSide(toonEntry, side)) as [typeof toonEntry, typeof toonEntry, typeof toonEntry];
    expect(new Set([small.file, medium.file, large.file]).size).toBe(3);
    const cache = new ModelCache({ ...DEFAULT_ENGINE_CONFIG.runtime, maxSessions: 2 }, silentLogger);
    try {
      const small1 = await cache.session(small);
      const medium1 = await cache.session(medium);
      // Used again: small is now the most recent, so opening a third closes medium, not small.
      expect(await cache.session(small)).toBe(small1);
      const large1 = await cache.session(large);
      expect(await cache.session(large)).toBe(large1);
      expect(await cache.session(small)).toBe(small1);
      // medium was closed: asked again, it is a new session (and large, now the least recent, goes).
      const medium2 = await cache.session(medium);
      expect(medium2).not.toBe(medium1);
      // The style runs again on its new session.
      const out = await medium2.run(new Uint8Array(64 * 64 * 3).fill(120), [1, 64, 64, 3], 0.7, [0, 0]);
      expect(out.length).toBe(64 * 64 * 3);
      expect(await cache.session(small)).toBe(small1);
      expect(await cache.session(large)).not.toBe(large1);
      expect(cache.providers()).toEqual(['cpu']);
    } finally {
      await cache.close();
    }
  });

  it('opens one session for the built-in looks at a size, and each look draws its own through it', async () => {
    const entries = await loadManifests(DEFAULT_MODELS_DIR);
    const looks = ['toon', 'sketch', 'manga', 'comic'].map((id) => forSide(entries.find((e) => e.manifest.id === id) as (typeof entries)[0], 512));
    const cache = new ModelCache({ ...DEFAULT_ENGINE_CONFIG.runtime, maxSessions: 2 }, silentLogger);
    try {
      const sessions = await Promise.all(looks.map((entry) => cache.session(entry)));
      expect(new Set(sessions).size).toBe(1);
      const pattern = Uint8Array.from({ length: 96 * 96 * 3 }, (_, i) => (i * 7919) % 251);
      const outputs = await Promise.all(looks.map((entry, i) => frameModel(sessions[i] as (typeof sessions)[0], entry).run(pattern, [1, 96, 96, 3], 0.7, [0, 0])));
      // Four different drawings: sketch and manga are grey (R = G = B), toon and comic are not.
      const keys = outputs.map((o) => Buffer.from(o).toString('base64'));
      expect(new Set(keys).size).toBe(4);
      const grey = (o: Float32Array | Uint8Array) => {
        for (let i = 0; i < o.length; i += 3) if (Math.abs((o[i] as number) - (o[i + 1] as number)) > 8) return false;
        return true;
      };
      expect(outputs.map(grey)).toEqual([false, true, true, false]);
    } finally {
      await cache.close();
    }
  });
});
