/**
 * `toonbot models`: pull from a local server laid out like ModelScope's file API (listing, file
 * download, Range requests), with a cut connection, a size mismatch, the lock file, and the
 * installed style running through the portrait pipeline.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_MODELS_DIR, silentLogger } from '../../src/engine/expert.ts';
import { dctnetWeights } from '../../src/modelgen/dctnetTopology.ts';
import { DCTNET_STYLES, InstallError, pullStyle, type FetchProgress } from '../../src/models/index.ts';
import { fixture, pixels } from '../helpers.ts';
import { dctnetFrozenGraph } from '../modelgen/tf/frozenGraph.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Served {
  data: Buffer;
  /** What the listing claims (defaults to the real size). */
  size?: number;
  /** Cut the connection after this many bytes, once. */
  cutAfter?: number;
}

class FakeModelScope {
  readonly files = new Map<string, Served>();
  readonly requests: { path: string; range?: string }[] = [];
  #server: Server | undefined;
  base = '';

  async start(model: string): Promise<void> {
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push({ path: `${url.pathname}${url.search}`, ...(req.headers.range ? { range: req.headers.range } : {}) });
      if (url.pathname === `/api/v1/models/${model}/repo/files`) {
        const files = [...this.files.entries()].map(([p, f]) => ({
          Path: p,
          Name: p,
          Type: 'blob',
          Size: f.size ?? f.data.length,
          Sha256: createHash('sha256').update(f.data).digest('hex'),
          Revision: 'abc',
        }));
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ Code: 200, Data: { Files: files } }));
      }
      const file = url.pathname === `/api/v1/models/${model}/repo` ? this.files.get(url.searchParams.get('FilePath') ?? '') : undefined;
      if (!file) return void res.writeHead(404).end();
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const body = file.data.subarray(from);
      res.writeHead(from > 0 ? 206 : 200, { 'content-length': body.length, ...(from > 0 ? { 'content-range': `bytes ${from}-${file.data.length - 1}/${file.data.length}` } : {}) });
      if (file.cutAfter !== undefined) {
        const cut = file.cutAfter;
        delete file.cutAfter;
        res.write(body.subarray(0, cut), () => res.destroy());
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

let tmp: string;
let head: Buffer;
let background: Buffer;
let alpha: Buffer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'toonbot-models-'));
  const weights = dctnetWeights(3);
  head = Buffer.from(dctnetFrozenGraph(weights, { leaky: 'op', add: 'Add', scalars: 'float_val' }));
  background = Buffer.from(dctnetFrozenGraph(dctnetWeights(4), { batch: 'newaxis', leaky: 'mul-max', add: 'AddV2', scalars: 'tensor_content' }));
  const ellipse = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="288" height="288"><rect width="288" height="288" fill="black"/><ellipse cx="144" cy="160" rx="100" ry="120" fill="white"/></svg>`,
  );
  alpha = await sharp(ellipse).blur(8).jpeg().toBuffer();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function freshModelsDir(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  await cp(DEFAULT_MODELS_DIR, dir, { recursive: true });
  return dir;
}

describe('toonbot models pull', () => {
  it('downloads with progress, resumes after a cut connection, records the hashes and installs a working portrait style', async () => {
    const server = new FakeModelScope();
    await server.start(DCTNET_STYLES.anime);
    server.files.set('cartoon_h.pb', { data: head });
    server.files.set('cartoon_bg.pb', { data: background, cutAfter: 1_000_000 });
    server.files.set('alpha.jpg', { data: alpha });
    server.files.set('detector.pb', { data: Buffer.alloc(10) });
    const dir = await freshModelsDir('pull');
    const progress: FetchProgress[] = [];
    try {
      const manifest = await pullStyle('anime', { baseUrl: server.base, modelsDir: dir, onProgress: (p) => progress.push(p) });
      expect(manifest).toMatchObject({ id: 'dctnet-anime', pipeline: 'portrait', io: { input: 'input_image', output: 'output_image', colorOrder: 'BGR', range: [0, 255] } });
      // The cut download was resumed with a Range request, from where it stopped (what arrived
      // of the first megabyte before the cut).
      const bg = server.requests.filter((r) => r.path.includes('FilePath=cartoon_bg.pb'));
      expect(bg).toHaveLength(2);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(bg[1]?.range ?? '')?.[1]);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThanOrEqual(1_000_000);
      expect(server.requests.some((r) => r.path.includes('detector.pb'))).toBe(false);
      const last = progress.filter((p) => p.file === 'cartoon_bg.pb').at(-1);
      expect(last).toEqual({ file: 'cartoon_bg.pb', received: background.length, total: background.length });

      const lock = JSON.parse(await readFile(path.join(dir, 'installed', 'lock.json'), 'utf8'));
      expect(lock['dctnet-anime'].files['cartoon_bg.pb']).toEqual({ size: background.length, sha256: createHash('sha256').update(background).digest('hex') });

      // Both graphs also got an int8 version for the CPU, within a grey level of the fp32 ones.
      for (const int8 of [manifest.int8, manifest.head?.int8]) {
        expect(int8?.file).toMatch(/^dctnet-anime\/(background|head)\.int8\.onnx$/);
        expect(int8?.meanError).toBeLessThanOrEqual(1);
        expect(int8?.p99Error).toBeGreaterThanOrEqual(int8?.meanError as number);
      }

      // The style is offered and runs the portrait pipeline with the converted graphs: int8 on
      // the CPU, fp32 with TOONBOT_INT8=0 (and on a GPU provider).
      const debug: [string, Record<string, unknown> | undefined][] = [];
      const engine = await createEngine({ modelsDir: dir, runtime: { provider: 'cpu' }, logger: { ...silentLogger, debug: (m, f) => debug.push([m, f]) } });
      const fp32 = await createEngine({ modelsDir: dir, runtime: { provider: 'cpu', int8: false }, logger: silentLogger });
      try {
        expect(engine.styles().map((s) => s.id)).toContain('dctnet-anime');
        const request = { image: fixture('astronaut.png'), options: { style: 'dctnet-anime', resolution: 256, strength: 1 } };
        const result = await engine.submit(request);
        expect([result.width, result.height]).toEqual([256, 256]);
        expect(result.portrait).toMatchObject({ faces: 1, noFace: false });
        expect(
          debug
            .filter(([m]) => m === 'running the int8 graph')
            .map(([, f]) => f?.model)
            .sort(),
        ).toEqual(['dctnet-anime', 'dctnet-anime:head']);
        const reference = await fp32.submit(request);
        // Where the models ran says so (the CLI's summary and --json, readiness, doctor).
        expect(engine.providers()).toEqual(['cpu (int8)']);
        expect(fp32.providers()).toEqual(['cpu']);
        const [a, b] = await Promise.all([pixels(result.image), pixels(reference.image)]);
        let sum = 0;
        for (let i = 0; i < a.data.length; i += 1) sum += Math.abs((a.data[i] as number) - (b.data[i] as number));
        expect(sum / a.data.length).toBeLessThan(2);
      } finally {
        await engine.close();
        await fp32.close();
      }
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('refuses a file whose size differs from the listing, and installs nothing', async () => {
    const server = new FakeModelScope();
    await server.start(DCTNET_STYLES.sketch);
    server.files.set('cartoon_h.pb', { data: head, size: head.length + 10 });
    server.files.set('cartoon_bg.pb', { data: background });
    server.files.set('alpha.jpg', { data: alpha });
    const dir = await freshModelsDir('mismatch');
    try {
      const error = await pullStyle('sketch', { baseUrl: server.base, modelsDir: dir, attempts: 2 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstallError);
      expect((error as Error).message).toBe(`cartoon_h.pb: ${head.length} bytes where the listing says ${head.length + 10}: refused`);
      const engine = await createEngine({ modelsDir: dir, logger: silentLogger });
      expect(engine.styles().map((s) => s.id)).not.toContain('dctnet-sketch');
      await engine.close();
    } finally {
      await server.stop();
    }
  });
});

describe('toonbot models import, list and verify (the CLI)', () => {
  it('imports from a folder, lists the style, and verify notices a tampered file', async () => {
    const dir = await freshModelsDir('import');
    const from = path.join(tmp, 'downloaded');
    await mkdir(from, { recursive: true });
    await writeFile(path.join(from, 'cartoon_h.pb'), head);
    await writeFile(path.join(from, 'cartoon_bg.pb'), background);
    await writeFile(path.join(from, 'alpha.jpg'), alpha);
    const env = { ...process.env, TOONBOT_MODELS_DIR: dir };
    const run = (args: string[]) => promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/toonbot.js'), ...args], { env, cwd: tmp, timeout: 120_000 });

    const imported = await run(['models', 'import', 'handdrawn', from]);
    expect(imported.stdout).toMatch(/^installed dctnet-handdrawn; test run: 256x256 in [\d.]+ ms on this machine \(cpu \(int8\)\), 1 face\(s\)/);
    const listed = await run(['models', 'list']);
    expect(listed.stdout).toMatch(/dctnet-handdrawn\s+portrait\s+yes\s+Apache-2.0\s+imported from/);
    expect(listed.stdout).toMatch(/dctnet-anime\s+portrait\s+not installed: toonbot models pull anime/);
    expect((await run(['models', 'verify'])).stdout).toMatch(/dctnet-handdrawn\s+ok/);

    // A style installed before int8 existed (its manifest without int8) gets it with `quantize`.
    const manifestPath = path.join(dir, 'installed', 'dctnet-handdrawn.json');
    const {
      int8: _int8,
      head: { int8: _headInt8, ...oldHead },
      ...old
    } = JSON.parse(await readFile(manifestPath, 'utf8'));
    await writeFile(manifestPath, JSON.stringify({ ...old, head: oldHead }));
    const quantized = await run(['models', 'quantize', 'dctnet-handdrawn']);
    expect(quantized.stdout).toMatch(/^dctnet-handdrawn: int8 for background and head; test run: 256x256/);
    expect(quantized.stderr).toMatch(/int8 background: mean error [\d.]+ grey levels, p99 [\d.]+: used on the CPU/);
    const again = JSON.parse(await readFile(manifestPath, 'utf8'));
    expect([again.int8.file, again.head.int8.file]).toEqual(['dctnet-handdrawn/background.int8.onnx', 'dctnet-handdrawn/head.int8.onnx']);
    expect((await run(['models', 'verify'])).stdout).toMatch(/dctnet-handdrawn\s+ok/);
    const notInstalled = await run(['models', 'quantize', 'toon']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(notInstalled?.stderr).toContain('toon is not an installed style');

    await writeFile(path.join(dir, 'installed', 'dctnet-handdrawn', 'head.onnx'), Buffer.from('tampered'));
    const verify = await run(['models', 'verify']).then(
      () => null,
      (e: { code: number; stdout: string }) => e,
    );
    expect(verify?.code).toBe(1);
    expect(verify?.stdout).toMatch(/dctnet-handdrawn\s+FAILED: head.onnx: checksum differs/);
    expect(verify?.stdout).toMatch(/^toon\s+ok$/m);

    // Taken away: files, manifest and lock entry; listed as not installed again. Built-ins stay.
    expect((await run(['models', 'remove', 'dctnet-handdrawn'])).stdout).toBe('removed dctnet-handdrawn\n');
    expect(await readdir(path.join(dir, 'installed'))).toEqual(['lock.json']);
    expect(JSON.parse(await readFile(path.join(dir, 'installed', 'lock.json'), 'utf8'))).toEqual({});
    expect((await run(['models', 'list'])).stdout).toMatch(/dctnet-handdrawn\s+portrait\s+not installed: toonbot models pull handdrawn/);
    const builtIn = await run(['models', 'remove', 'toon']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(builtIn?.code).toBe(2);
    expect(builtIn?.stderr).toContain('"toon" is not an installed style (installed: none; the built-in ones cannot be removed)');
  }, 180_000);
});
