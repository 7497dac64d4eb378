/**
 * Which execution providers to try, in order, for a requested one. `auto` (the default) takes the
 * fastest this machine can really use: CUDA when onnxruntime's CUDA libraries are installed (and,
 * on Linux, an NVIDIA device exists), then WebGPU when a GPU is there (on Linux a DRM render node;
 * Windows and macOS always have an adapter), then the CPU. A named provider is tried first, then
 * the CPU. Every model opens on the first candidate that works (runtime.ts).
 *
 * Why not simply try WebGPU everywhere: Dawn also accepts software Vulkan drivers (Mesa's
 * lavapipe), which are many times slower than onnxruntime's own CPU kernels. onnxruntime does not
 * say which adapter Dawn picked, so `auto` asks the operating system whether a GPU exists at all;
 * `TOONBOT_PROVIDER=webgpu` uses whatever adapter Dawn finds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** What the machine offers, as far as files and devices tell. */
export interface SystemProbe {
  platform: NodeJS.Platform;
  /** onnxruntime-node's CUDA provider library is installed (`ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node --ignore-scripts=false`). */
  cudaLibraries: boolean;
  /** GPUs the OS shows: Linux DRM render nodes and NVIDIA devices, with their vendor. */
  gpus: { device: string; vendor: string }[];
}

interface ProviderPlan {
  requested: string;
  /** In order; always ends with 'cpu'. */
  candidates: string[];
  /** Why each provider `auto` considered was taken or left out. */
  reasons: string[];
}

const VENDORS: Record<string, string> = { '0x10de': 'NVIDIA', '0x1002': 'AMD', '0x8086': 'Intel', '0x13b5': 'ARM', '0x5143': 'Qualcomm' };

let cached: SystemProbe | undefined;

/** Looks once: library files, /dev/dri and /sys (Linux). */
export function probeSystem(): SystemProbe {
  cached ??= {
    platform: process.platform,
    cudaLibraries: cudaLibrariesInstalled(),
    gpus: process.platform === 'linux' ? linuxGpus() : [],
  };
  return cached;
}

export function planProviders(requested: string, probe: SystemProbe = probeSystem()): ProviderPlan {
  if (requested !== 'auto') return { requested, candidates: [...new Set([requested, 'cpu'])], reasons: [] };
  const candidates: string[] = [];
  const reasons: string[] = [];
  const nvidia = probe.gpus.some((g) => g.vendor === 'NVIDIA');
  if (!probe.cudaLibraries) reasons.push('cuda: not installed (ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node --ignore-scripts=false)');
  else if (probe.platform === 'linux' && !nvidia) reasons.push('cuda: installed, but no NVIDIA device');
  else {
    candidates.push('cuda');
    reasons.push('cuda: installed');
  }
  const gpu = probe.platform !== 'linux' || probe.gpus.length > 0;
  if (gpu) {
    candidates.push('webgpu');
    reasons.push(probe.gpus.length > 0 ? `webgpu: ${describeGpus(probe)}` : `webgpu: ${probe.platform} has a system adapter`);
  } else {
    reasons.push('webgpu: no GPU device (/dev/dri): a software Vulkan driver would be slower than the CPU');
  }
  candidates.push('cpu');
  return { requested, candidates, reasons };
}

/** "NVIDIA (renderD128), Intel (renderD129)" */
export function describeGpus(probe: SystemProbe = probeSystem()): string {
  return probe.gpus.length === 0 ? 'none found' : probe.gpus.map((g) => `${g.vendor} (${g.device})`).join(', ');
}

function cudaLibrariesInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const arch = `${process.platform === 'win32' ? 'win32' : process.platform}/${process.arch}`;
    const bin = path.join(root, 'bin');
    for (const napi of readdirSync(bin)) {
      const dir = path.join(bin, napi, arch);
      if (existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so')) || existsSync(path.join(dir, 'onnxruntime_providers_cuda.dll'))) return true;
    }
  } catch {
    // no package, no bin folder: no CUDA
  }
  return false;
}

function linuxGpus(): { device: string; vendor: string }[] {
  const gpus: { device: string; vendor: string }[] = [];
  try {
    for (const node of readdirSync('/dev/dri').filter((n) => n.startsWith('renderD'))) {
      let vendor = 'unknown';
      try {
        const id = readFileSync(`/sys/class/drm/${node}/device/vendor`, 'utf8').trim().toLowerCase();
        vendor = VENDORS[id] ?? id;
      } catch {
        // no sysfs (a container): the node alone says a GPU is there
      }
      gpus.push({ device: node, vendor });
    }
  } catch {
    // no /dev/dri
  }
  if (existsSync('/dev/nvidia0') && !gpus.some((g) => g.vendor === 'NVIDIA')) gpus.push({ device: 'nvidia0', vendor: 'NVIDIA' });
  return gpus;
}
