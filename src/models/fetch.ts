/** Downloading a large model file over HTTPS, resuming after a cut connection. */
import { open as openFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { InstallError, type PullOptions } from './styles.ts';

/**
 * Downloads `url` to `target`, resuming a `.part` file with a Range request after a cut
 * connection, and refuses a file whose size is not `size`.
 */
export async function fetchResumable(url: string, target: string, size: number, opts: Pick<PullOptions, 'attempts' | 'onProgress' | 'log'>): Promise<void> {
  const part = `${target}.part`;
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    const have = (await stat(part).catch(() => null))?.size ?? 0;
    if (have > size) {
      await rm(part, { force: true });
      throw new InstallError(`${path.basename(target)}: received ${have} bytes, the listing says ${size}: refused`);
    }
    try {
      if (have < size || size === 0) await appendFrom(url, part, have, size, opts);
      const got = (await stat(part)).size;
      if (got !== size) {
        await rm(part, { force: true });
        throw new InstallError(`${path.basename(target)}: ${got} bytes where the listing says ${size}: refused`);
      }
      await rename(part, target);
      return;
    } catch (error) {
      if (error instanceof InstallError || attempt >= attempts) throw error;
      opts.log?.(`${path.basename(target)}: ${error instanceof Error ? error.message : String(error)}; resuming (attempt ${attempt + 1} of ${attempts})`);
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
    }
  }
}

async function appendFrom(url: string, part: string, from: number, size: number, opts: Pick<PullOptions, 'onProgress'>): Promise<void> {
  const res = await fetch(url, { headers: from > 0 ? { range: `bytes=${from}-` } : {}, signal: AbortSignal.timeout(10 * 60_000) });
  if (res.status !== 200 && res.status !== 206) throw new Error(`HTTP ${res.status}`);
  if (!res.body) throw new Error('empty response');
  // A server that ignores Range sends the whole file again: start over.
  const resumed = res.status === 206 && from > 0;
  const file = await openFile(part, resumed ? 'a' : 'w');
  let received = resumed ? from : 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      await file.write(chunk);
      received += chunk.byteLength;
      if (received > size) throw new InstallError(`${path.basename(part, '.part')}: more than the listed ${size} bytes: refused`);
      opts.onProgress?.({ file: path.basename(part, '.part'), received, total: size });
    }
  } finally {
    await file.close();
  }
}
