/**
 * One onnxruntime session per model, created once and reused. The execution provider is
 * configuration; one that this build of onnxruntime cannot use falls back to CPU with one log line.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { ToonError } from './errors.ts';
import type { Logger } from './log.ts';
import type { ModelEntry } from './manifest.ts';

export interface RuntimeConfig {
  /** onnxruntime execution provider: 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml'... @default 'cpu' */
  provider: string;
  /** Threads inside one operator; 0 lets onnxruntime pick (one per core). @default 0 */
  intraOpThreads: number;
  /** Threads across operators; 0 lets onnxruntime pick. @default 0 */
  interOpThreads: number;
  /**
   * Keep onnxruntime's CPU memory arena. Off, memory goes back to the system after each job and
   * the peak is ~40% lower (DCT-Net topology at 1024²: 0.70 vs 1.18 GiB), for ~9% more time.
   * @default false
   */
  cpuArena: boolean;
}

// onnxruntime's native logger writes unstructured lines to stderr (one per failed provider
// library, for instance); every failure also surfaces as a JS error, which the engine logs itself.
ort.env.logLevel = 'fatal';

export class ModelSession {
  readonly #session: ort.InferenceSession;
  readonly provider: string;

  private constructor(session: ort.InferenceSession, provider: string, readonly entry: ModelEntry) {
    this.#session = session;
    this.provider = provider;
  }

  /**
   * Reads the model file, checks its SHA-256 against the manifest and opens a session.
   * @throws ToonError MODEL_UNAVAILABLE when the file is missing, altered or not loadable
   */
  static async open(entry: ModelEntry, runtime: RuntimeConfig, logger: Logger): Promise<ModelSession> {
    const { id, sha256 } = entry.manifest;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(entry.file);
    } catch (error) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'model file missing', file: entry.file }, cause: error });
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'checksum mismatch', expected: sha256, actual } });
    }
    const options = (provider: string): ort.InferenceSession.SessionOptions => ({
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableCpuMemArena: runtime.cpuArena,
      ...(runtime.intraOpThreads > 0 ? { intraOpNumThreads: runtime.intraOpThreads } : {}),
      ...(runtime.interOpThreads > 0 ? { interOpNumThreads: runtime.interOpThreads } : {}),
    });
    const stack = new Error();
    try {
      return new ModelSession(await ort.InferenceSession.create(bytes, options(runtime.provider)), runtime.provider, entry);
    } catch (error) {
      if (runtime.provider === 'cpu') throw unavailable(id, error, stack);
      logger.warn('execution provider unavailable, falling back to cpu', {
        model: id,
        provider: runtime.provider,
        reason: error instanceof Error ? error.message.split('\n')[0] : String(error),
      });
      try {
        return new ModelSession(await ort.InferenceSession.create(bytes, options('cpu')), 'cpu', entry);
      } catch (cpuError) {
        throw unavailable(id, cpuError, stack);
      }
    }
  }

  /**
   * Runs the model on one tensor and returns its output tensor's data. `strength` goes to the
   * graph's strength input, for models that have one (see ModelIO.strength).
   */
  async run(data: Float32Array, dims: readonly number[], strength = 1): Promise<Float32Array> {
    const { input, output, strength: strengthInput } = this.entry.manifest.io;
    const stack = new Error();
    try {
      const feeds: Record<string, ort.Tensor> = { [input]: new ort.Tensor('float32', data, dims) };
      if (strengthInput) feeds[strengthInput] = new ort.Tensor('float32', Float32Array.of(strength), [1]);
      const result = await this.#session.run(feeds);
      const tensor = result[output];
      if (!tensor || (tensor.type !== 'float32' && tensor.type !== 'uint8')) throw new Error(`model has no float32 or uint8 output named ${output}`);
      // Converted DCT-Net graphs end in a cast to uint8 (0..255, the manifest's range).
      const out = tensor.type === 'uint8' ? Float32Array.from(tensor.data as Uint8Array) : (tensor.data as Float32Array);
      if (out.length !== data.length) throw new Error(`output has ${out.length} values, input ${data.length}: not image-to-image`);
      return out;
    } catch (error) {
      if (error instanceof Error && stack.stack) error.stack = `${error.stack}\n    --- called from ---\n${stack.stack}`;
      throw new ToonError('INTERNAL', { detail: { model: this.entry.manifest.id, stage: 'inference' }, cause: error });
    }
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

function unavailable(model: string, error: unknown, stack: Error): ToonError {
  if (error instanceof Error && stack.stack) error.stack = `${error.stack}\n    --- called from ---\n${stack.stack}`;
  return new ToonError('MODEL_UNAVAILABLE', { detail: { model, reason: 'session could not be created' }, cause: error });
}
