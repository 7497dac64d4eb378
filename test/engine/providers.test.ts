/**
 * What `TOONBOT_PROVIDER=auto` tries, in order, for what the machine shows; and `toonbot doctor`,
 * which says so and runs every style on it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { planProviders, type SystemProbe } from '../../src/engine/providers.ts';

const linux = (over: Partial<SystemProbe> = {}): SystemProbe => ({ platform: 'linux', cudaLibraries: false, gpus: [], ...over });
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('provider plan', () => {
  it('auto: CUDA where installed on an NVIDIA machine, WebGPU where a GPU exists, always the CPU last', () => {
    expect(planProviders('auto', linux()).candidates).toEqual(['cpu']);
    expect(planProviders('auto', linux({ gpus: [{ device: 'renderD128', vendor: 'Intel' }] })).candidates).toEqual(['webgpu', 'cpu']);
    expect(planProviders('auto', linux({ cudaLibraries: true, gpus: [{ device: 'renderD128', vendor: 'NVIDIA' }] })).candidates).toEqual(['cuda', 'webgpu', 'cpu']);
    // CUDA libraries without an NVIDIA device are not worth a try.
    expect(planProviders('auto', linux({ cudaLibraries: true, gpus: [{ device: 'renderD128', vendor: 'AMD' }] })).candidates).toEqual(['webgpu', 'cpu']);
    // Windows and macOS always have a system adapter.
    expect(planProviders('auto', { platform: 'darwin', cudaLibraries: false, gpus: [] }).candidates).toEqual(['webgpu', 'cpu']);
  });

  it('says why a provider was left out', () => {
    expect(planProviders('auto', linux()).reasons).toEqual([
      'cuda: not installed (ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node --ignore-scripts=false)',
      'webgpu: no GPU device (/dev/dri): a software Vulkan driver would be slower than the CPU',
    ]);
  });

  it('a named provider is tried first, then the CPU', () => {
    expect(planProviders('webgpu', linux()).candidates).toEqual(['webgpu', 'cpu']);
    expect(planProviders('cpu', linux()).candidates).toEqual(['cpu']);
  });
});

describe('toonbot doctor', () => {
  it('prints the plan, runs every style once and names the provider the models ran on', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOONBOT_')));
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/toonbot.js'), 'doctor', '--provider', 'cpu'], { cwd: ROOT, env, timeout: 60_000 });
    expect(stdout).toContain('provider requested: cpu; tried in order: cpu');
    expect(stdout).toMatch(/^toon {13}ok: first 256 px job \d+ ms$/m);
    for (const look of ['sketch', 'manga', 'comic']) expect(stdout).toMatch(new RegExp(`^${look} +ok: first 256 px job \\d+ ms$`, 'm'));
    expect(stdout).not.toContain('toon-portrait');
    expect(stdout.trim().split('\n').at(-1)).toBe('models run on: cpu');
  });
});
