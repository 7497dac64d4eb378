/**
 * Downloads a user's file into memory (never to disk), with a byte cap, a time limit on the whole
 * transfer (headers and body: a trickling body is cut at the limit) and, where a platform needs
 * it, an allowlist of hosts. https only, or http on loopback; local files only when asked for (a
 * self-hosted Telegram Bot API server in --local mode). Exceeding the cap is IMAGE_TOO_LARGE, like
 * the engine; anything else that keeps the bytes from arriving is DOWNLOAD_FAILED (reason in
 * `detail`).
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isToonError } from '../../engine/index.ts';
import { ToonError } from './errors.ts';
import { withTimeout } from './timeout.ts';

interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Hostnames allowed; when set, any other host is refused. */
  allowHosts?: readonly string[];
  /** Read `file:` URLs from this machine's disk (their path only; the host part is ignored). */
  localFiles?: boolean;
}

export async function download(url: URL, options: DownloadOptions): Promise<Buffer> {
  try {
    if (url.protocol === 'file:') {
      if (!options.localFiles) throw failed('refusing a local file (not a local Bot API server)');
      return await readLocal(url, options.maxBytes);
    }
    return await withTimeout(`download from ${url.hostname}`, options.timeoutMs, (signal) => fetchBytes(url, options, signal), options.signal);
  } catch (error) {
    if (isToonError(error)) throw error;
    throw failed(error instanceof Error ? `${error.name}: ${error.message}` : String(error), error);
  }
}

async function fetchBytes(url: URL, options: DownloadOptions, signal: AbortSignal): Promise<Buffer> {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw failed(`refusing ${url.protocol} download (https only, or http on loopback)`);
  }
  if (options.allowHosts && !options.allowHosts.includes(url.hostname)) throw failed(`host ${url.hostname} is not allowed`);
  const res = await fetch(url, { signal, redirect: 'error' });
  if (!res.ok || !res.body) throw failed(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await res.body.cancel();
    throw tooLarge(declared, options.maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > options.maxBytes) throw tooLarge(total, options.maxBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
}

/**
 * A self-hosted Bot API server in --local mode hands out absolute file paths; telegraf turns them
 * into `file://<api host>/<path>` URLs, so only the path is used.
 */
async function readLocal(url: URL, maxBytes: number): Promise<Buffer> {
  const file = fileURLToPath(new URL(url.pathname, 'file:///'));
  const info = await stat(file);
  if (info.size > maxBytes) throw tooLarge(info.size, maxBytes);
  return readFile(file);
}

function failed(reason: string, cause?: unknown): ToonError {
  return new ToonError('DOWNLOAD_FAILED', { detail: { reason }, ...(cause === undefined ? {} : { cause }) });
}

function tooLarge(bytes: number, maxBytes: number): ToonError {
  return new ToonError('IMAGE_TOO_LARGE', { detail: { bytes, maxBytes } });
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
