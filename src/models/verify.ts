/**
 * Checking what is installed: every model file against its manifest's SHA-256, a style's mask
 * against the lock, then that each model opens; and the test run an install ends with.
 */
import { CALIBRATION_DIR } from './int8.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createEngine, DEFAULT_ENGINE_CONFIG, loadManifests, ModelSession, sha256OfFile, silentLogger } from '../engine/expert.ts';
import { readLocks } from './lock.ts';

export interface Verdict {
  id: string;
  /** Empty when the style is sound. */
  problems: string[];
}

export async function verifyInstalled(modelsDir: string): Promise<Verdict[]> {
  const locks = await readLocks(modelsDir);
  const verdicts: Verdict[] = [];
  for (const entry of await loadManifests(modelsDir)) {
    const problems: string[] = [];
    const files: [string, string][] = [
      [entry.file, entry.manifest.sha256],
      ...(entry.headFile && entry.manifest.head ? [[entry.headFile, entry.manifest.head.sha256] as [string, string]] : []),
      ...(entry.int8File && entry.manifest.int8 ? [[entry.int8File, entry.manifest.int8.sha256] as [string, string]] : []),
      ...(entry.headInt8File && entry.manifest.head?.int8 ? [[entry.headInt8File, entry.manifest.head.int8.sha256] as [string, string]] : []),
    ];
    for (const [file, sha] of files) {
      const actual = await sha256OfFile(file);
      if (actual !== sha) problems.push(`${path.basename(file)}: ${actual === null ? 'missing' : 'checksum differs'}`);
    }
    const lock = locks[entry.manifest.id];
    if (entry.maskFile && lock) {
      const mask = path.basename(entry.maskFile);
      const locked = lock.files[mask];
      if (locked && (await sha256OfFile(entry.maskFile)) !== locked.sha256) problems.push(`${mask}: checksum differs from the lock`);
    }
    if (problems.length === 0) {
      try {
        await (await ModelSession.open(entry, DEFAULT_ENGINE_CONFIG.runtime, silentLogger)).dispose();
      } catch (error) {
        problems.push(`does not load: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    verdicts.push({ id: entry.manifest.id, problems });
  }
  return verdicts;
}

/** Runs one photo through an installed style: an install is only done when this works. */
/** A job in style `id` at `resolution` (1024, what users get by default): its size, time and faces. */
export async function testRun(modelsDir: string, id: string, resolution = 1024): Promise<string> {
  const engine = await createEngine({ modelsDir, logger: silentLogger });
  try {
    const fixture = path.join(CALIBRATION_DIR, 'astronaut.jpg');
    const image = (await readFile(fixture).catch(() => null)) ?? (await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer());
    const result = await engine.submit({ image, options: { style: id, resolution } });
    return `${result.width}x${result.height} in ${result.timings.total} ms on this machine (${engine.providers().join(', ')}), ${result.portrait?.faces ?? 0} face(s)`;
  } finally {
    await engine.close();
  }
}
