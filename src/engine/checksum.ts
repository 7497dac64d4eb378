/** SHA-256 of model files and downloads: the one hashing helper of the project. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The file's SHA-256, or null when it cannot be read. */
export async function sha256OfFile(file: string): Promise<string | null> {
  return readFile(file).then(sha256, () => null);
}
