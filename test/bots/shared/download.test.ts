import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, isLoopback } from '../../../src/bots/shared/download.ts';
import { failsWith } from '../../helpers.ts';
import { ToonError } from '../../../src/engine/index.ts';

let server: Server;
let base: string;
let dir: string;
const BODY = Buffer.alloc(3000, 7);

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') return void res.end(BODY);
    if (req.url === '/declared-large') {
      res.writeHead(200, { 'content-length': String(10_000) });
      return void res.end(Buffer.alloc(10_000));
    }
    if (req.url === '/chunked-large') {
      // No content-length: the cap must hold while streaming.
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 10; i += 1) res.write(Buffer.alloc(1000));
      return void res.end();
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/ok' });
      return void res.end();
    }
    if (req.url === '/slow') return void setTimeout(() => res.end(BODY), 2000);
    if (req.url === '/trickle') {
      // One byte every 100 ms, well inside the cap: only the time limit can stop it.
      res.writeHead(200, { 'content-length': '4000' });
      const timer = setInterval(() => res.write(Buffer.of(1)), 100);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-download-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const options = { maxBytes: 5000, timeoutMs: 5000 };

describe('download', () => {
  it('returns the bytes of a file within the cap', async () => {
    expect(await download(new URL(`${base}/ok`), options)).toEqual(BODY);
  });

  it('refuses a body over the cap as IMAGE_TOO_LARGE, whether declared or streamed', async () => {
    expect((await failsWith(download(new URL(`${base}/declared-large`), options), 'IMAGE_TOO_LARGE')).detail).toMatchObject({ bytes: 10_000, maxBytes: 5000 });
    expect((await failsWith(download(new URL(`${base}/chunked-large`), options), 'IMAGE_TOO_LARGE')).detail.maxBytes).toBe(5000);
  });

  it('answers every other way of not getting the bytes with DOWNLOAD_FAILED and a reason for the log', async () => {
    expect((await failsWith(download(new URL(`${base}/missing`), options), 'DOWNLOAD_FAILED')).detail.reason).toBe('HTTP 404');
    await failsWith(download(new URL(`${base}/redirect`), options), 'DOWNLOAD_FAILED');
    expect((await failsWith(download(new URL(`${base}/slow`), { ...options, timeoutMs: 200 }), 'DOWNLOAD_FAILED')).detail.reason).toMatch(/TimeoutError|abort/i);
    await failsWith(download(new URL('http://127.0.0.1:1/closed'), options), 'DOWNLOAD_FAILED');
  });

  it('allows http only on loopback, and only the allowed hosts when a list is given', async () => {
    expect((await failsWith(download(new URL('http://example.com/a.jpg'), options), 'DOWNLOAD_FAILED')).detail.reason).toMatch(/https only/);
    expect((await failsWith(download(new URL('ftp://127.0.0.1/a.jpg'), options), 'DOWNLOAD_FAILED')).detail.reason).toMatch(/ftp:/);
    const refused = await failsWith(download(new URL(`${base}/ok`), { ...options, allowHosts: ['cdn.discordapp.com'] }), 'DOWNLOAD_FAILED');
    expect(refused.detail.reason).toBe('host 127.0.0.1 is not allowed');
    expect(await download(new URL(`${base}/ok`), { ...options, allowHosts: ['127.0.0.1'] })).toHaveLength(BODY.length);
  });

  it('cuts a trickling body at the time limit, with the garbage collector running meanwhile', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with --expose-gc (vitest.config.ts sets it)').toBeTypeOf('function');
    // Collections with garbage to collect: a weakly held timer would be lost here.
    const collector = setInterval(() => {
      gc?.();
      const junk: number[][] = [];
      for (let i = 0; i < 1000; i += 1) junk.push(new Array(100).fill(i));
    }, 20);
    const started = performance.now();
    try {
      const error = await failsWith(download(new URL(`${base}/trickle`), { ...options, timeoutMs: 800 }), 'DOWNLOAD_FAILED');
      expect(error.detail.reason).toMatch(/TimeoutError/);
    } finally {
      clearInterval(collector);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(790);
    expect(elapsed).toBeLessThan(2500);
  });

  it('ends at once, with the reason given, when its caller aborts (a stop whose grace is over)', async () => {
    const stop = new AbortController();
    const started = performance.now();
    setTimeout(() => stop.abort(new ToonError('SHUTTING_DOWN')), 200);
    await failsWith(download(new URL(`${base}/trickle`), { ...options, signal: stop.signal }), 'SHUTTING_DOWN');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('reads a local file only when asked to (a self-hosted Bot API server in --local mode), with the same cap', async () => {
    const small = path.join(dir, 'small.bin');
    const large = path.join(dir, 'large.bin');
    await writeFile(small, BODY);
    await writeFile(large, Buffer.alloc(6000));
    const local = { ...options, localFiles: true };
    expect(await download(pathToFileURL(small), local)).toEqual(BODY);
    // telegraf makes file://<api host>/<absolute path> of a local server's paths.
    expect(await download(new URL(`file://127.0.0.1${small}`), local)).toEqual(BODY);
    await failsWith(download(pathToFileURL(large), local), 'IMAGE_TOO_LARGE');
    await failsWith(download(pathToFileURL(path.join(dir, 'nope.bin')), local), 'DOWNLOAD_FAILED');
    // Anywhere else (a Discord payload, Telegram's cloud API) a file: URL is refused.
    expect((await failsWith(download(pathToFileURL(small), options), 'DOWNLOAD_FAILED')).detail.reason).toMatch(/local file/);
    await failsWith(download(pathToFileURL(small), { ...options, allowHosts: ['cdn.discordapp.com'] }), 'DOWNLOAD_FAILED');
  });

  it('knows loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) expect(isLoopback(host)).toBe(true);
    for (const host of ['example.com', '10.0.0.1', '128.0.0.1', 'localhost.example.com']) expect(isLoopback(host)).toBe(false);
  });
});
