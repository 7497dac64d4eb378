/**
 * The container files, checked without building anything (no Docker daemon in tests): the
 * compose file parses and says what the README promises (Redis that never evicts, stop grace
 * above the bot's, volumes for settings and styles, one worker per GPU), and both Dockerfiles
 * use known instructions, run node itself as PID 1, and install onnxruntime the right way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (name: string) => readFileSync(path.join(ROOT, name), 'utf8');
const INSTRUCTIONS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

/** Instructions of a Dockerfile, continuation lines joined. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0] as string, args: l.slice(l.indexOf(' ') + 1) }));
}

/** A compose duration ("90s", "1m30s") in seconds. */
function seconds(duration: string): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : Number.NaN;
}

describe('container files', () => {
  it('docker-compose.yml: Redis without eviction, the bot with a stop grace above its own, a CPU worker by default and a GPU one behind a profile, one optional env file for all', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, any>; volumes: Record<string, unknown> };
    const { redis, bot } = compose.services;
    expect(redis.command.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(bot.environment.TOONBOT_REDIS_URL).toBe('redis://redis:6379');
    // Above the default grace (60 s, TOONBOT_STOP_GRACE_S) plus a job.
    expect(seconds(bot.stop_grace_period)).toBeGreaterThan(60);
    expect(bot.volumes).toEqual(expect.arrayContaining(['settings:/app/data', 'models:/app/models/installed']));
    // The port the image serves everything on.
    expect(bot.ports).toEqual(['127.0.0.1:8080:8080']);
    const workers = Object.entries(compose.services).filter(([name]) => name.startsWith('worker'));
    // With no profile: a CPU worker, no GPU asked for (so a host without one can start it).
    const plain = workers.filter(([, w]) => !w.profiles);
    expect(plain.map(([name]) => name)).toEqual(['worker-cpu']);
    expect(plain[0]?.[1].deploy).toBeUndefined();
    const gpu = workers.filter(([, w]) => w.profiles?.includes('gpu'));
    expect(gpu.length).toBeGreaterThanOrEqual(1);
    for (const [, worker] of workers) {
      expect(worker.command.slice(0, 3)).toEqual(['node', 'bin/toonbot.js', 'worker']);
      expect(seconds(worker.stop_grace_period)).toBeGreaterThan(0);
    }
    for (const [, worker] of gpu) expect(worker.deploy.resources.reservations.devices[0].capabilities).toEqual(['gpu']);
    // Every service of ours reads .env, and none needs it to exist.
    for (const [name, service] of Object.entries(compose.services).filter(([n]) => n !== 'redis')) expect(service.env_file, name).toEqual([{ path: '.env', required: false }]);
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['redis', 'settings', 'models']));
  });

  it('Dockerfile: one port for the studio and health, probed by HEALTHCHECK and exposed; SIGTERM to stop', () => {
    const steps = instructions(read('Dockerfile'));
    const env = steps
      .filter((s) => s.op === 'ENV')
      .map((s) => s.args)
      .join(' ');
    expect(env).toContain('TOONBOT_HTTP_PORT=8080');
    expect(env).toContain('TOONBOT_HTTP_HOST=0.0.0.0');
    expect(env).toContain('TOONBOT_WEB_HOST=0.0.0.0');
    expect(env).toMatch(/TOONBOT_WEB_PASSWORD_FILE=\/app\/data\//);
    expect(steps.filter((s) => s.op === 'EXPOSE').map((s) => s.args)).toEqual(['8080']);
    expect(steps.find((s) => s.op === 'HEALTHCHECK')?.args).toContain('|| 8080');
    expect(steps.find((s) => s.op === 'STOPSIGNAL')?.args).toBe('SIGTERM');
  });

  it('Dockerfiles: known instructions, node as PID 1, the compiled build in both, onnxruntime CPU by default, CUDA and the Vulkan loader in the GPU image', () => {
    for (const file of ['Dockerfile', 'Dockerfile.gpu']) {
      const steps = instructions(read(file));
      for (const step of steps) expect(INSTRUCTIONS, `${file}: ${step.op}`).toContain(step.op);
      expect(steps[0]?.op).toBe('FROM');
      const cmd = steps.filter((s) => s.op === 'CMD').at(-1);
      // Exec form, node first: signals reach the process that drains.
      expect(JSON.parse(cmd?.args ?? '[]')[0]).toBe('node');
      expect(steps.some((s) => s.op === 'USER' && !/root/.test(s.args))).toBe(true);
      // The image ships code and its calibration photos, not the tests.
      expect(steps.some((s) => s.op === 'COPY' && /^assets\s/.test(s.args))).toBe(true);
      expect(steps.filter((s) => s.op === 'COPY' && /\btest\b/.test(s.args))).toEqual([]);
      expect(steps.some((s) => s.op === 'COPY' && s.args.includes('.npmrc'))).toBe(true);
    }
    // Both images run the compiled build: the last stage has no source and no tsx.
    for (const file of ['Dockerfile', 'Dockerfile.gpu']) {
      const steps = instructions(read(file));
      const last = steps.slice(steps.findLastIndex((s) => s.op === 'FROM'));
      expect(
        last.some((s) => s.op === 'COPY' && /--from=build \/app\/dist/.test(s.args)),
        file,
      ).toBe(true);
      expect(
        last.filter((s) => s.op === 'COPY' && /^src\b/.test(s.args)),
        file,
      ).toEqual([]);
      expect(
        last.filter((s) => /\btsx\b/.test(s.args)),
        file,
      ).toEqual([]);
    }
    const gpu = instructions(read('Dockerfile.gpu'));
    const gpuLast = gpu.slice(gpu.findLastIndex((s) => s.op === 'FROM'));
    expect(gpuLast[0]?.args).toMatch(/nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime/);
    expect(gpu.some((s) => s.op === 'RUN' && s.args.includes('npm ci'))).toBe(true);
    expect(gpuLast.some((s) => s.op === 'RUN' && s.args.includes('ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node --ignore-scripts=false'))).toBe(true);
    // WebGPU on an NVIDIA host: the Vulkan loader and libglvnd in the image, the driver's graphics
    // part mounted by the container runtime.
    const apt = gpuLast.find((s) => s.op === 'RUN' && s.args.includes('apt-get install'))?.args ?? '';
    for (const pkg of ['libvulkan1', 'libglvnd0', 'libglx0', 'libegl1']) expect(apt).toContain(pkg);
    expect(gpuLast.find((s) => s.op === 'ENV')?.args).toMatch(/NVIDIA_DRIVER_CAPABILITIES=\S*graphics/);
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['node_modules', '.env']));
  });
});
