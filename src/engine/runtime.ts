/**
 * Opening onnxruntime sessions, for every model the engine runs (styles and the face detector):
 * the configured execution provider, or the CPU with one log line when this build of onnxruntime
 * cannot use it.
 */
import * as ort from 'onnxruntime-node';
import { callSite } from './errors.ts';
import type { Logger } from './log.ts';
import { planProviders } from './providers.ts';

export interface RuntimeConfig {
  /**
   * onnxruntime execution provider: 'auto' (CUDA, then WebGPU where a GPU exists, then the CPU),
   * or one by name: 'cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml'... @default 'auto'
   */
  provider: string;
  /** Threads inside one operator; 0 lets onnxruntime pick (one per core). @default 0 */
  intraOpThreads: number;
  /** Threads across operators; 0 lets onnxruntime pick. @default 0 */
  interOpThreads: number;
  /**
   * Keep onnxruntime's CPU memory arena. On, memory is held at the largest tile's need and reused,
   * so a long-running bot stays flat (soak of 1,000 small jobs: +6..9 % resident memory; off:
   * -4..+146 %, as the system allocator fragments) and jobs run faster (built-in style at 1024:
   * 522 vs 633 ms). Off, memory goes back to the system between jobs: lower after a large job
   * (2048: 0.5 vs 1.5 GiB) but it drifts.
   * @default true
   */
  cpuArena: boolean;
  /** Run a model's int8 graph (manifest `int8`) when the models run on the CPU. @default true */
  int8?: boolean;
  /** The GPU to use, for providers that take one (cuda, tensorrt, dml): one worker per GPU. */
  deviceId?: number;
  /**
   * Model sessions kept open per inference thread; the least recently used one is closed past
   * it. Each holds its arena at the size of its largest run (one look at 2048: ~400 MiB), so
   * this bounds memory when users switch between looks and sizes, at the cost of reopening one
   * (a few hundred ms) on a switch. At least 2 (a portrait job uses two). @default 2
   */
  maxSessions?: number;
  /**
   * Draw the faces of the built-in looks (heads with `crop: face`) in a thread of their own, at
   * the same time as the whole frame's graph (threads/FaceWorker.ts). Off, the face pass runs in
   * line after the whole frame's graph, in the same thread. Only where the models run on the CPU
   * alone (provider `cpu`, or `auto` without a GPU): on a GPU the pass runs in line. @default true
   */
  faceThread?: boolean;
  /**
   * Styles that share a graph file (the built-in looks, ModelIO.select) share one session, which
   * holds every look: a change of look opens nothing, and the looks share one memory arena. Off,
   * each style opens its own look alone (branch.ts): the same output, a quarter of the nodes, so
   * the session opens ~3x faster (the whole-frame graph at 1024: ~0.3 against ~1 s). For runs
   * that keep to one style (the CLI). @default true
   */
  sharedLooks?: boolean;
}

/** Providers whose options take a `deviceId`. */
const DEVICE_PROVIDERS = new Set(['cuda', 'tensorrt', 'dml']);

// onnxruntime's native logger writes unstructured lines to stderr (one per failed provider
// library, for instance); every failure also surfaces as a JS error, which the engine logs itself.
ort.env.logLevel = 'fatal';

interface OpenedSession {
  session: ort.InferenceSession;
  /** The provider the session actually runs on. */
  provider: string;
}

/** Per-model session options (the manifest's `session`), chosen by measurement. */
export interface SessionTuning {
  /** onnxruntime's graph optimisation level. @default 'all' */
  optimization?: 'basic' | 'extended' | 'all';
  /**
   * onnxruntime's memory pattern: one block planned for all intermediates after the first runs at
   * a shape. Off, the arena serves each tensor as it is made and reuses freed ones. @default true
   */
  memoryPattern?: boolean;
  /**
   * Let the session's threads spin after a run, waiting for the next operator, before they sleep.
   * Off for small graphs run between a big one's (the face detector, the face crops): their
   * spinning threads took the cores from the next graph. Measured (2 cores, toon 1024 with its
   * face pass): detection 71 -> 45 ms, the job 402 -> 342 ms; the big graph itself keeps it (off
   * there, it ran ~8 % slower). @default true
   */
  spinning?: boolean;
}

/**
 * Opens a session on the first provider of the plan that works (see providers.ts: `auto` tries
 * CUDA, then WebGPU where a GPU exists, then the CPU; a named provider falls back to the CPU),
 * with one log line per provider that could not be used.
 * @param model the ONNX bytes, or a file path
 * @param label names the model in the log lines
 * @throws what onnxruntime throws when not even the CPU can open it, with the caller's stack
 */
export async function openSession(model: Uint8Array | string, runtime: RuntimeConfig, logger: Logger, label: string, tuning: SessionTuning = {}): Promise<OpenedSession> {
  const withStack = callSite();
  const options = (provider: string): ort.InferenceSession.SessionOptions => ({
    executionProviders: [
      runtime.deviceId !== undefined && DEVICE_PROVIDERS.has(provider) ? ({ name: provider, deviceId: runtime.deviceId } as ort.InferenceSession.ExecutionProviderConfig) : provider,
    ],
    graphOptimizationLevel: tuning.optimization ?? 'all',
    executionMode: 'sequential',
    enableCpuMemArena: runtime.cpuArena,
    enableMemPattern: tuning.memoryPattern ?? true,
    ...(tuning.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
    ...(runtime.intraOpThreads > 0 ? { intraOpNumThreads: runtime.intraOpThreads } : {}),
    ...(runtime.interOpThreads > 0 ? { interOpNumThreads: runtime.interOpThreads } : {}),
  });
  const create = (provider: string) => (typeof model === 'string' ? ort.InferenceSession.create(model, options(provider)) : ort.InferenceSession.create(model, options(provider)));
  const { candidates } = planProviders(runtime.provider);
  for (const provider of candidates) {
    try {
      return { session: await create(provider), provider };
    } catch (error) {
      if (provider === 'cpu') throw withStack(error);
      // A provider picked by `auto` that does not work is expected news; a named one is not.
      logger[runtime.provider === 'auto' ? 'info' : 'warn'](`execution provider unavailable, falling back to ${candidates[candidates.indexOf(provider) + 1] ?? 'cpu'}`, {
        model: label,
        provider,
        reason: error instanceof Error ? error.message.split('\n')[0] : String(error),
      });
    }
  }
  throw withStack(new Error('no execution provider could open the model'));
}
