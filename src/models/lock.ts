/** `models/installed/lock.json`: for each installed style, where it came from and its files' sizes and SHA-256s. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INSTALLED_DIR } from '../engine/expert.ts';
import type { LockEntry } from './styles.ts';

function lockFile(modelsDir: string): string {
  return path.join(modelsDir, INSTALLED_DIR, 'lock.json');
}

/** Every lock entry, by style id; none when nothing was installed yet. */
export async function readLocks(modelsDir: string): Promise<Record<string, LockEntry>> {
  return JSON.parse(await readFile(lockFile(modelsDir), 'utf8').catch(() => '{}')) as Record<string, LockEntry>;
}

/** Takes a style's entry out of the lock (it was removed). */
export async function dropLock(modelsDir: string, id: string): Promise<void> {
  const locks = await readLocks(modelsDir);
  if (!(id in locks)) return;
  delete locks[id];
  await writeFile(lockFile(modelsDir), `${JSON.stringify(locks, null, 2)}\n`);
}

export async function writeLock(modelsDir: string, id: string, entry: LockEntry): Promise<void> {
  const locks = await readLocks(modelsDir);
  locks[id] = entry;
  await writeFile(lockFile(modelsDir), `${JSON.stringify(locks, null, 2)}\n`);
}
