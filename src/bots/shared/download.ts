/**
 * Downloads a user's file into memory (never to disk), with a byte cap, a timeout and, where a
 * platform needs it, an allowlist of hosts. Exceeding the cap is IMAGE_TOO_LARGE, like the engine;
 * anything else that keeps the bytes from arriving is DOWNLOAD_FAILED (its reason in `detail`).
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isToonError, ToonError } from '../../engine/index.ts';

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Hostnames allowed; when set, any other host is refused. */
  allowHosts?: readonly string[];
}

export async function download(url: URL, options: DownloadOptions): Promise<Buffer> {
  try {
    return await fetchBytes(url, options);
  } catch (error) {
    if (isToonError(error)) throw error;
    throw failed(error instanceof Error ? `${error.name}: ${error.message}` : String(error), error);
  }
}

async function fetchBytes(url: URL, options: DownloadOptions): Promise<Buffer> {
  if (url.protocol === 'file:') return readLocal(url, options.maxBytes);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw failed(`refusing ${url.protocol} download (https only, or http on loopback)`);
  }
  if (options.allowHosts && !options.allowHosts.includes(url.hostname)) throw failed(`host ${url.hostname} is not allowed`);
  const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs);
  const res = await fetch(url, { signal, redirect: 'error' });
  if (!res.ok || !res.body) throw failed(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await res.body.cancel();
    throw tooLarge(declared, options.maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += chunk.byteLength;
    if (total > options.maxBytes) throw tooLarge(total, options.maxBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
}

/** A self-hosted Bot API server in --local mode hands out absolute file paths. */
async function readLocal(url: URL, maxBytes: number): Promise<Buffer> {
  const file = fileURLToPath(url);
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
