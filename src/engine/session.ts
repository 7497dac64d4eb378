/**
 * One onnxruntime session per style model, created once and reused, on the configured provider
 * (see runtime.ts).
 */
import { readFile } from 'node:fs/promises';
import type * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import { sha256 } from './checksum.ts';
import { callSite, ToonError } from './errors.ts';
import type { Logger } from './log.ts';
import type { ModelEntry } from './manifest.ts';
import { openSession, type RuntimeConfig } from './runtime.ts';

export type { RuntimeConfig } from './runtime.ts';

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
    const { id, sha256: sha256Expected } = entry.manifest;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(entry.file);
    } catch (error) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'model file missing', file: entry.file }, cause: error });
    }
    const actual = sha256(bytes);
    if (actual !== sha256Expected) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'checksum mismatch', expected: sha256Expected, actual } });
    }
    try {
      const { session, provider } = await openSession(bytes, runtime, logger, id);
      return new ModelSession(session, provider, entry);
    } catch (error) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'session could not be created' }, cause: error });
    }
  }

  /**
   * Runs the model on one tensor and returns its output tensor's data. `strength` goes to the
   * graph's strength input, for models that have one (see ModelIO.strength).
   */
  async run(data: Float32Array, dims: readonly number[], strength = 1): Promise<Float32Array> {
    const { input, output, strength: strengthInput } = this.entry.manifest.io;
    const withStack = callSite();
    try {
      const feeds: Record<string, ort.Tensor> = { [input]: new Tensor('float32', data, dims) };
      if (strengthInput) feeds[strengthInput] = new Tensor('float32', Float32Array.of(strength), [1]);
      const result = await this.#session.run(feeds);
      const tensor = result[output];
      if (!tensor || (tensor.type !== 'float32' && tensor.type !== 'uint8')) throw new Error(`model has no float32 or uint8 output named ${output}`);
      // Converted DCT-Net graphs end in a cast to uint8 (0..255, the manifest's range).
      const out = tensor.type === 'uint8' ? Float32Array.from(tensor.data as Uint8Array) : (tensor.data as Float32Array);
      if (out.length !== data.length) throw new Error(`output has ${out.length} values, input ${data.length}: not image-to-image`);
      return out;
    } catch (error) {
      throw new ToonError('INTERNAL', { detail: { model: this.entry.manifest.id, stage: 'inference' }, cause: withStack(error) });
    }
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}
