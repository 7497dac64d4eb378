/**
 * The engine's open sessions are bounded: past `maxSessions` the least recently used one is
 * closed (its memory goes back), and opened again when it is needed.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_MODELS_DIR, loadManifests, silentLogger } from '../../src/engine/expert.ts';
import { ModelCache } from '../../src/engine/ModelCache.ts';

describe('ModelCache', () => {
  it('keeps the most recently used sessions open and closes the rest', async () => {
    const entries = (await loadManifests(DEFAULT_MODELS_DIR)).filter((m) => ['toon', 'sketch', 'manga'].includes(m.manifest.id));
    const [toon, sketch, manga] = ['toon', 'sketch', 'manga'].map((id) => entries.find((e) => e.manifest.id === id)) as [(typeof entries)[0], (typeof entries)[0], (typeof entries)[0]];
    const cache = new ModelCache({ ...DEFAULT_ENGINE_CONFIG.runtime, maxSessions: 2 }, silentLogger);
    try {
      const toon1 = await cache.session(toon);
      const sketch1 = await cache.session(sketch);
      // Used again: toon is now the most recent, so opening a third closes sketch, not toon.
      expect(await cache.session(toon)).toBe(toon1);
      const manga1 = await cache.session(manga);
      expect(await cache.session(manga)).toBe(manga1);
      expect(await cache.session(toon)).toBe(toon1);
      // sketch was closed: asked again, it is a new session (and manga, now the least recent, goes).
      const sketch2 = await cache.session(sketch);
      expect(sketch2).not.toBe(sketch1);
      // The style runs again on its new session.
      const out = await sketch2.run(new Uint8Array(64 * 64 * 3).fill(120), [1, 64, 64, 3], 0.7, [0, 0]);
      expect(out.length).toBe(64 * 64 * 3);
      expect(await cache.session(toon)).toBe(toon1);
      expect(await cache.session(manga)).not.toBe(manga1);
      expect(cache.providers()).toEqual(['cpu']);
    } finally {
      await cache.close();
    }
  });
});
