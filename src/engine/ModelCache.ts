/**
 * The models the engine has open: one session per graph file (opened on first use, kept, and
 * retried after a failed open), the face crops' masks, and the face finder.
 */
import sharp from 'sharp';
import { ToonError } from './errors.ts';
import { CROP_SIZE, ellipseMask, FACE_CROP_SHIFT } from './faces/align.ts';
import { FaceFinder } from './faces/FaceFinder.ts';
import type { FrameModel } from './fullFrame.ts';
import type { Logger } from './log.ts';
import type { ModelEntry } from './manifest.ts';
import type { RuntimeConfig } from './runtime.ts';
import { planProviders } from './providers.ts';
import { ModelSession } from './session.ts';
import { drawFaces, type FaceModels, type FacePass } from './portrait.ts';
import { FaceWorker } from './threads/FaceWorker.ts';

/** Masks kept at most: native crops come in many sizes. */
const MAX_MASKS = 32;
/**
 * Sessions kept open at most by default (RuntimeConfig.maxSessions). Each keeps its arena at the
 * size of its largest run (one size at 2048: ~400 MiB). The built-in looks share one graph file
 * per size (ModelIO.select), so these bound the output sizes open, not the looks. A job needs at
 * most two (a portrait's head and background), always the two most recently used.
 */
const MAX_SESSIONS = 2;

/**
 * Face-pass graphs kept open besides: one job may draw faces of several sizes (a variant each;
 * the built-in looks share each variant's file, so a look change opens none), and they are small (the largest, 576² crops, holds ~60 MiB while it runs; see docs/BENCHMARKS.md),
 * so a group photo never reopens one between its faces.
 */
const MAX_FACE_SESSIONS = 6;

/** The output side at which a graph's pattern is drawn at scale 1 (the built-in looks' radii are reference px at 1024). */
const PAGE_SIDE = 1024;

export class ModelCache {
  readonly #runtime: RuntimeConfig;
  readonly #log: Logger;
  readonly #sessions = new Map<string, Promise<ModelSession>>();
  /** The face pass's graphs (crop: face heads), kept apart: small, and several used in one job. */
  readonly #faceSessions = new Map<string, Promise<ModelSession>>();
  /** The sessions open now (their provider may change: a fallback to the CPU at run). */
  readonly #open = new Set<ModelSession>();
  /** Where the sessions closed since ran. */
  readonly #closedRanOn = new Set<string>();
  readonly #masks = new Map<string, Promise<Float32Array>>();
  #finder: Promise<FaceFinder> | undefined;
  #faceWorker: FaceWorker | undefined;
  /** Whether the built-in looks' faces are drawn in the face thread (see #threadedFaces). */
  readonly #faceThread: boolean;

  constructor(runtime: RuntimeConfig, log: Logger) {
    this.#runtime = runtime;
    this.#log = log;
    // On the CPU only: GPU sessions opened and run from two threads at once crashed the process
    // (WebGPU through Mesa's Vulkan driver), and on a GPU the face graphs are a few small kernels.
    const { candidates } = planProviders(runtime.provider);
    this.#faceThread = runtime.faceThread !== false && candidates.length === 1 && candidates[0] === 'cpu';
  }

  /**
   * The model's session, opened on first use and kept among the most recently used ones. A failed
   * open is retried next time.
   */
  session(entry: ModelEntry, pool: 'frame' | 'face' = 'frame'): Promise<ModelSession> {
    const sessions = pool === 'face' ? this.#faceSessions : this.#sessions;
    // Keyed by file and checksum: styles that share a graph (the built-in looks, a portrait style
    // whose head is its background) share one session, and each is fed its own way (frameModel).
    // Opened on one look alone (RuntimeConfig.sharedLooks off), a session serves that look only.
    const select = this.#runtime.sharedLooks === false ? entry.manifest.io.select : undefined;
    const key = `${entry.file}#${entry.manifest.sha256}${select ? `#${select.value}` : ''}`;
    const open = sessions.get(key);
    if (open) {
      // Most recently used last.
      sessions.delete(key);
      sessions.set(key, open);
      return open;
    }
    const made = cached(sessions, key, async () => {
      const session = await ModelSession.open(entry, this.#runtime, this.#log);
      this.#open.add(session);
      return session;
    });
    this.#evict(sessions, pool === 'face' ? MAX_FACE_SESSIONS : Math.max(2, this.#runtime.maxSessions ?? MAX_SESSIONS));
    return made;
  }

  /** Closes the least recently used sessions of a pool past its limit. */
  #evict(sessions: Map<string, Promise<ModelSession>>, limit: number): void {
    for (const [key, session] of sessions) {
      if (sessions.size <= limit) break;
      sessions.delete(key);
      void session
        .then(
          (s) => {
            this.#open.delete(s);
            this.#closedRanOn.add(s.runsOn);
            return s.dispose();
          },
          () => undefined,
        )
        .catch((error: unknown) => this.#log.warn('could not close a session', { error }));
    }
  }

  /** The execution providers the sessions opened so far actually run on ("cpu (int8)" for int8 graphs). */
  providers(): string[] {
    return [...new Set([...[...this.#open].map((s) => s.runsOn), ...this.#closedRanOn])];
  }

  /** The session of the entry's graph for outputs of long side `side`, as a pipeline model. */
  async model(entry: ModelEntry, side: number): Promise<FrameModel & { provider: string }> {
    let sized = forSide(entry, side);
    // Beside the face thread, the look's graph shares the cores: its threads sleep after each
    // operator instead of spinning, or they take the core the face thread is drawing on.
    if (this.#threadedFaces(entry) && sized.manifest.session?.spinning === undefined) sized = { ...sized, manifest: { ...sized.manifest, session: { ...sized.manifest.session, spinning: false } } };
    return frameModel(await this.session(sized), sized);
  }

  /** The face pass of a portrait entry for outputs of long side `side`: in the face thread where it runs there. */
  facePass(entry: ModelEntry, side: number): FacePass {
    if (this.#threadedFaces(entry)) {
      this.#faceWorker ??= new FaceWorker(this.#runtime, this.#log);
      const worker = this.#faceWorker;
      return (photo, inner, signal) => worker.draw(photo, entry, inner, signal);
    }
    return async (photo, inner, signal) => drawFaces(await this.faceModels(entry, side), photo, inner, signal);
  }

  /** Opens what a portrait entry's face pass needs (its finder), where it will run. */
  async warmFaces(entry: ModelEntry): Promise<void> {
    if (this.#threadedFaces(entry)) {
      this.#faceWorker ??= new FaceWorker(this.#runtime, this.#log);
      await this.#faceWorker.warm(entry);
    } else await this.faceFinder();
  }

  /** The finder, head graphs and crop rule of a portrait entry's face pass, in this thread. */
  async faceModels(entry: ModelEntry, side: number): Promise<FaceModels> {
    const head = entry.manifest.head;
    return {
      finder: await this.faceFinder(),
      // The whole frame's graph for this output (its size variant): the scale its pattern is drawn at.
      pageScale: (forSide(entry, side).manifest.side ?? PAGE_SIDE) / PAGE_SIDE,
      // Heads drawn at the face's scale pick their variant by the crop; the others by the output.
      head: (size: number) => (head?.crop === 'face' ? this.faceModel(headEntry(entry), size) : this.model(headEntry(entry), side)),
      crop: head?.crop === 'face' ? { kind: 'face' as const, sides: headSides(entry) } : { kind: head?.crop === 'native' ? ('native' as const) : ('fixed' as const) },
    };
  }

  /**
   * Whether the entry's faces are drawn in the face thread: the built-in looks' small face graphs
   * (`crop: face`). A portrait model whose head is a whole-frame graph (DCT-Net's) draws in line,
   * so that its large head session is not held in a second thread.
   */
  #threadedFaces(entry: ModelEntry): boolean {
    return this.#faceThread && entry.manifest.pipeline === 'portrait' && entry.manifest.head?.crop === 'face';
  }

  /** The face pass's graph for crops of `side`² (a `crop: face` head's variant), from its own pool. */
  async faceModel(entry: ModelEntry, side: number): Promise<FrameModel & { provider: string }> {
    const sized = forSide(entry, side);
    return frameModel(await this.session(sized, 'face'), sized);
  }

  /** The face crops' soft mask at `size`²: the manifest's file, else the generated ellipse. */
  mask(entry: ModelEntry, size = CROP_SIZE): Promise<Float32Array> {
    if (this.#masks.size > MAX_MASKS) this.#masks.clear();
    // The built-in looks' face crops hold the face higher (align.ts, FACE_CROP_SHIFT).
    const shift = entry.manifest.head?.crop === 'face' ? FACE_CROP_SHIFT : 0;
    return cached(this.#masks, `${entry.maskFile ?? ''}#${size}#${shift}`, () =>
      entry.maskFile
        ? sharp(entry.maskFile)
            .greyscale()
            .resize(size, size, { fit: 'fill' })
            .raw()
            .toBuffer()
            .then((b) => Float32Array.from(b, (v) => v / 255))
        : Promise.resolve(ellipseMask(size, shift)),
    );
  }

  faceFinder(): Promise<FaceFinder> {
    if (!this.#finder) {
      const opening = FaceFinder.open(this.#runtime, this.#log);
      this.#finder = opening;
      // Not cached when it fails: the next portrait job tries again.
      opening.catch(() => {
        if (this.#finder === opening) this.#finder = undefined;
      });
    }
    return this.#finder;
  }

  /** Releases every session and the face finder. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values(), ...this.#faceSessions.values()];
    this.#sessions.clear();
    this.#faceSessions.clear();
    this.#open.clear();
    for (const s of await Promise.allSettled(sessions)) if (s.status === 'fulfilled') await s.value.dispose();
    const worker = this.#faceWorker;
    this.#faceWorker = undefined;
    await worker?.close();
    const finder = this.#finder;
    this.#finder = undefined;
    if (finder) await (await finder.catch(() => undefined))?.dispose();
  }
}

/** The value under `key`, made on first use; a failed make is forgotten, so the next use retries. */
function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (!value) {
    value = make();
    map.set(key, value);
    value.catch(() => map.delete(key));
  }
  return value;
}

/**
 * A session as the pipeline runs it, for `entry`'s style (by default the one that opened it):
 * styles that share a graph file (ModelIO.select) share one session, each fed as its manifest says.
 */
export function frameModel(session: ModelSession, entry: ModelEntry = session.entry): FrameModel & { provider: string } {
  const { io, tile } = entry.manifest;
  return { io, tile, run: (data, dims, strength, origin, placement) => session.run(data, dims, strength, origin, io, placement), provider: session.provider };
}

/** The head model of a portrait entry, as an entry of its own. */
function headEntry(entry: ModelEntry): ModelEntry {
  const { head } = entry.manifest;
  if (!head || !entry.headFile) throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: entry.manifest.id, reason: 'portrait style without a head model' } });
  const { variants: _variants, ...manifest } = entry.manifest;
  const { int8: _int8, ...rest } = manifest;
  return {
    file: entry.headFile,
    ...(entry.headVariantFiles ? { variantFiles: entry.headVariantFiles } : {}),
    ...(entry.headInt8File ? { int8File: entry.headInt8File } : {}),
    manifest: {
      ...rest,
      id: `${entry.manifest.id}:head`,
      pipeline: 'full-frame',
      file: head.file,
      sha256: head.sha256,
      ...(head.int8 ? { int8: head.int8 } : {}),
      io: head.io ?? entry.manifest.io,
      // Face graphs are small and run between the whole frame's: their threads sleep after a run.
      session: { ...rest.session, spinning: false },
      ...(head.side !== undefined ? { side: head.side } : {}),
      ...(head.variants ? { variants: head.variants } : {}),
    },
  };
}

/** The crop sides a `crop: face` head is built for: its own and its variants'. */
function headSides(entry: ModelEntry): number[] {
  const head = entry.manifest.head;
  return [...(head?.side !== undefined ? [head.side] : []), ...(head?.variants ?? []).map((v) => v.side)];
}

/**
 * The entry's graph for outputs whose long side is `side`: of `file` and its size variants, the one
 * whose side is nearest in ratio. Entries without variants are returned as they are.
 */
export function forSide(entry: ModelEntry, side: number): ModelEntry {
  const { manifest } = entry;
  if (!manifest.variants || manifest.side === undefined) return entry;
  let best = { side: manifest.side, file: manifest.file, sha256: manifest.sha256 };
  for (const v of manifest.variants) if (Math.abs(Math.log(v.side / side)) < Math.abs(Math.log(best.side / side))) best = v;
  if (best.side === manifest.side) return entry;
  const file = entry.variantFiles?.get(best.side);
  if (!file) throw new ToonError('MODEL_UNAVAILABLE', { detail: { model: manifest.id, reason: 'size variant without a file', side: best.side } });
  // An int8 graph belongs to `file`, not to its size variants.
  const { int8File: _int8File, ...rest } = entry;
  const { int8: _int8, ...plain } = manifest;
  return { ...rest, file, manifest: { ...plain, file: best.file, sha256: best.sha256, side: best.side } };
}
