/**
 * One onnxruntime session per style model, created once and reused, on the configured provider
 * (see runtime.ts).
 */
import { readFile } from 'node:fs/promises';
import type * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import { selectBranch } from './branch.ts';
import { sha256 } from './checksum.ts';
import { callSite, ToonError } from './errors.ts';
import type { Logger } from './log.ts';
import type { ModelEntry, ModelIO } from './manifest.ts';
import { planProviders } from './providers.ts';
import { openSession, type RuntimeConfig } from './runtime.ts';

export type { RuntimeConfig } from './runtime.ts';

/**
 * Where a face crop sits in the frame, and the page's scale (ModelIO.placement): [a, b, tx, ty,
 * scale], crop pixel (x, y) at frame pixel (a·x + b·y + tx, −b·x + a·y + ty).
 */
export type Placement = readonly [number, number, number, number, number];

/** A crop that is the frame itself, at a 1024 page. */
const NO_PLACEMENT: Placement = [1, 0, 0, 0, 1];

/** One tile's tensor data: float32 for most models, the frame's 8-bit pixels for `io.pixels: uint8`. */
export type TileData = Float32Array | Uint8Array;

export class ModelSession {
  #session: ort.InferenceSession;
  #provider: string;
  /** What a fallback to the CPU needs: the model's bytes (kept only off the CPU), and where to log it. */
  #reopen: { bytes: Uint8Array; runtime: RuntimeConfig; logger: Logger } | undefined;

  private constructor(
    session: ort.InferenceSession,
    provider: string,
    readonly entry: ModelEntry,
    reopen: { bytes: Uint8Array; runtime: RuntimeConfig; logger: Logger } | undefined,
    /** The manifest's int8 graph runs (CPU only) instead of the fp32 one. */
    readonly int8: boolean,
  ) {
    this.#session = session;
    this.#provider = provider;
    this.#reopen = reopen;
  }

  /** The execution provider the session runs on ('cpu' after a fallback). */
  get provider(): string {
    return this.#provider;
  }

  /** Where it runs, as users read it: the provider, and "(int8)" when the int8 graph runs. */
  get runsOn(): string {
    return this.int8 ? `${this.#provider} (int8)` : this.#provider;
  }

  /**
   * Reads the model file, checks its SHA-256 against the manifest and opens a session.
   * @throws ToonError MODEL_UNAVAILABLE when the file is missing, altered or not loadable
   */
  static async open(entry: ModelEntry, runtime: RuntimeConfig, logger: Logger): Promise<ModelSession> {
    // On the CPU, a graph's int8 version runs instead when the manifest has one.
    const int8 = runtime.int8 !== false && entry.manifest.int8 && entry.int8File && planProviders(runtime.provider).candidates[0] === 'cpu' ? entry.manifest.int8 : undefined;
    const { id } = entry.manifest;
    const file = int8 ? (entry.int8File as string) : entry.file;
    const sha256Expected = int8 ? int8.sha256 : entry.manifest.sha256;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'model file missing', file }, cause: error });
    }
    if (int8) logger.debug('running the int8 graph', { model: id, meanError: int8.meanError, p99Error: int8.p99Error });
    const actual = sha256(bytes);
    if (actual !== sha256Expected) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'checksum mismatch', expected: sha256Expected, actual } });
    }
    // The style's own look alone, where the run keeps to one style (RuntimeConfig.sharedLooks).
    const { select } = entry.manifest.io;
    if (runtime.sharedLooks === false && select) {
      try {
        bytes = selectBranch(bytes, select.input, select.value) ?? bytes;
      } catch (error) {
        // The graph of every look still runs this one.
        logger.debug('could not open the look alone', { model: id, error });
      }
    }
    try {
      const { session, provider } = await openSession(bytes, runtime, logger, id, entry.manifest.session);
      return new ModelSession(session, provider, entry, provider === 'cpu' ? undefined : { bytes, runtime, logger }, int8 !== undefined);
    } catch (error) {
      throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: id, reason: 'session could not be created' }, cause: error });
    }
  }

  /**
   * Runs the model on one tensor and returns its output tensor's data. `strength` goes to the
   * graph's strength input, for models that have one (see ModelIO.strength). `io` is how the
   * caller's style feeds the graph: styles that share one file (ModelIO.select) share the session.
   */
  async run(
    data: TileData,
    dims: readonly number[],
    strength = 1,
    origin: readonly [number, number] = [0, 0],
    io: ModelIO = this.entry.manifest.io,
    placement: Placement = NO_PLACEMENT,
  ): Promise<TileData> {
    try {
      return await this.#run(data, dims, strength, origin, io, placement);
    } catch (error) {
      const reopen = this.#reopen;
      if (!reopen) throw error;
      // A provider that opened but cannot run this graph (a GPU out of memory, a driver error):
      // the CPU takes over for good, with one log line, and the job still gets its answer.
      reopen.logger.warn('execution provider failed at run, falling back to cpu', {
        model: this.entry.manifest.id,
        provider: this.#provider,
        reason: error instanceof ToonError && error.cause instanceof Error ? error.cause.message.split('\n')[0] : String(error),
      });
      const failed = this.#session;
      const { session } = await openSession(reopen.bytes, { ...reopen.runtime, provider: 'cpu' }, reopen.logger, this.entry.manifest.id, this.entry.manifest.session);
      this.#session = session;
      this.#provider = 'cpu';
      this.#reopen = undefined;
      await failed.release().catch(() => undefined);
      return this.#run(data, dims, strength, origin, io, placement);
    }
  }

  async #run(data: TileData, dims: readonly number[], strength: number, origin: readonly [number, number], io: ModelIO, placement: Placement): Promise<TileData> {
    const { input, output, strength: strengthInput, origin: originInput, placement: placementInput, select, pixels } = io;
    const withStack = callSite();
    try {
      if ((pixels === 'uint8') !== data instanceof Uint8Array) throw new Error(`input is ${data instanceof Uint8Array ? 'uint8' : 'float32'}, the model takes ${pixels ?? 'float32'}`);
      const feeds: Record<string, ort.Tensor> = { [input]: data instanceof Uint8Array ? new Tensor('uint8', data, dims) : new Tensor('float32', data, dims) };
      if (strengthInput) feeds[strengthInput] = new Tensor('float32', Float32Array.of(strength), [1]);
      if (originInput) feeds[originInput] = new Tensor('float32', Float32Array.from(origin), [2]);
      // A style's size variants share its io; a variant that draws no pattern takes no placement.
      if (placementInput && this.#session.inputNames.includes(placementInput)) feeds[placementInput] = new Tensor('float32', Float32Array.from(placement), [5]);
      // A session opened on one look alone (branch.ts) has no look to pick.
      if (select && this.#session.inputNames.includes(select.input)) feeds[select.input] = new Tensor('int64', BigInt64Array.of(BigInt(select.value)), []);
      const result = await this.#session.run(feeds);
      const tensor = result[output];
      if (!tensor || (tensor.type !== 'float32' && tensor.type !== 'uint8')) throw new Error(`model has no float32 or uint8 output named ${output}`);
      // 8-bit graphs give their bytes as they are; converted DCT-Net graphs end in a cast to uint8
      // (0..255, the manifest's range) but are float32 models otherwise.
      const out = tensor.type === 'uint8' ? (pixels === 'uint8' ? (tensor.data as Uint8Array) : Float32Array.from(tensor.data as Uint8Array)) : (tensor.data as Float32Array);
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
