import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Timings are the benchmark's business, not the tests': this only checks that the benchmark
// still runs end to end and reports every table it promises.
describe('npm run bench -- --quick', () => {
  it('measures both models and writes the markdown and JSON reports', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'toonbot-bench-'));
    try {
      await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'scripts/bench/main.ts'), '--quick', '--out', out], { timeout: 120_000 });
      const report = JSON.parse(await readFile(path.join(out, 'bench.json'), 'utf8'));
      expect(report.sizes.map((s: { model: string }) => s.model)).toEqual(['toon', 'dctnet-topology', 'sketch']);
      for (const s of report.sizes) {
        expect(s).toMatchObject({ resolution: 256, width: 256, height: 256, tiles: 1 });
        for (const k of ['decodeMs', 'inferenceMs', 'encodeMs', 'totalMs', 'bareMs', 'overhead', 'peakRssMiB']) expect(s[k]).toBeGreaterThan(0);
      }
      expect(report.untiled.peakRssMiB).toBeGreaterThan(0);
      // The face pass: one face on the portrait, six in the group, none on the coffee.
      expect(report.portrait.model).toBe('toon');
      expect(report.portrait.cases.map((c: { faces: number }) => c.faces)).toEqual([1, 6, 0]);
      for (const c of report.portrait.cases) expect(c.detectMs).toBeGreaterThan(0);
      expect(report.portrait.cases[2].headMs).toBe(0);
      // A 1 s clip at 15 fps: 15 frames, against the same frames as photos.
      expect(report.clip).toMatchObject({ frames: 15, fps: 15, width: 256, height: 256 });
      for (const k of ['clipMs', 'photosMs', 'ratio', 'bytes']) expect(report.clip[k]).toBeGreaterThan(0);
      expect(report.batches).toHaveLength(2);
      expect(report.batches[0].rssSeriesMiB).toHaveLength(3);
      expect(report.pairs[0].secondMs).toBeGreaterThanOrEqual(report.pairs[0].firstMs);
      const md = await readFile(path.join(out, 'bench.md'), 'utf8');
      expect(md).toContain('| dctnet-topology | 256x256 | 1 |');
      expect(md).toContain('## Two users at once');
      expect(md).toContain('## A clip');
      expect(md).toMatch(/\| group \(6 faces\) \| 6 \| [0-9.]+ \| [0-9.]+ \|/);
      // Which provider was asked for and which one ran (auto picks the CPU on a machine without a GPU device).
      expect(report.provider).toBe('auto');
      expect(report.ranOn.length).toBeGreaterThan(0);
      expect(md).toMatch(/^Execution provider: auto requested, the models ran on [a-z]+/m);
      // Scale-out: a row, or the reason it was skipped; never an image left in Redis.
      expect(report.scale.skipped ?? report.scale.keysEnd).toBeDefined();
      if (!report.scale.skipped) expect(report.scale.keysEnd).toBe(report.scale.keysStart);
      expect(md).toContain('## Scale-out mode');
      // int8: both timings and the error against fp32 on the fixtures.
      expect(report.int8).toMatchObject({ model: 'dctnet-topology', resolution: 256 });
      for (const k of ['fp32Ms', 'int8Ms', 'ratio', 'meanError', 'p99Error']) expect(report.int8[k]).toBeGreaterThan(0);
      expect(report.int8.int8Bytes).toBeLessThan(report.int8.fp32Bytes);
      expect(md).toContain('## int8 on the CPU');
      // Switching looks: every look's first job after a change and its second, once round.
      expect(report.switching.jobs.map((j: { look: string }) => j.look)).toEqual(['comic', 'sketch', 'manga', 'toon']);
      for (const j of report.switching.jobs) expect(Math.min(j.firstMs, j.againMs)).toBeGreaterThan(0);
      expect(report.switching.peakRssMiB).toBeGreaterThan(0);
      expect(md).toContain('## Switching looks');
      // Reply paths: each path's single job and a burst of two.
      expect(report.replies.paths.map((p: { resolution: number }) => p.resolution)).toEqual([512, 512]);
      for (const p of report.replies.paths) for (const k of ['decodeMs', 'modelMs', 'encodeMs', 'totalMs', 'burstMs', 'bytes']) expect(p[k]).toBeGreaterThan(0);
      expect(md).toContain('per reply in a burst ms');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 150_000);
});
