/**
 * One job's work, inside the queue: decode, the style's pipeline (full frame, or portrait with
 * faces), encode. Each stage is timed; the job's signal is checked between them.
 */
import { stylise } from './fullFrame.ts';
import { decodeImage, encodeImage, type ImageLimits, type RgbFrame } from './image.ts';
import type { JobContext } from './JobQueue.ts';
import type { ModelEntry } from './manifest.ts';
import { headEntry, type ModelCache } from './ModelCache.ts';
import type { CartoonOptions } from './options.ts';
import { stylisePortrait } from './portrait.ts';
import type { PortraitInfo, Timings } from './types.ts';

export interface JobInput {
  image: Uint8Array;
  size: { width: number; height: number };
  entry: ModelEntry;
  options: CartoonOptions;
  includeFaces: boolean;
}

export interface JobOutput {
  image: Buffer;
  tiles: number;
  portrait?: PortraitInfo;
  timings: Omit<Timings, 'total'>;
}

export async function runJob(models: ModelCache, limits: ImageLimits, job: JobInput, { signal, queuedMs }: JobContext): Promise<JobOutput> {
  const { size, entry, options } = job;
  let t = performance.now();
  const photo = await decodeImage(job.image, size.width, size.height, limits);
  const decode = performance.now() - t;
  signal.throwIfAborted();

  t = performance.now();
  let frame: RgbFrame = photo;
  let tiles = 0;
  let portrait: PortraitInfo | undefined;
  const side = Math.max(size.width, size.height);
  if (entry.manifest.pipeline === 'portrait') {
    // Faces are looked for even at strength 0, so that the result reports them alike.
    const [background, finder] = await Promise.all([models.model(entry, side), models.faceFinder()]);
    const head = entry.manifest.head;
    const portraitModels = {
      background,
      // Heads drawn at the face's scale pick their variant by the crop; the others by the output.
      head: (size: number) => (head?.crop === 'face' ? models.faceModel(headEntry(entry), size) : models.model(headEntry(entry), side)),
      mask: (n: number) => models.mask(entry, n),
      crop: head?.crop === 'face' ? { kind: 'face' as const, sides: headSides(entry) } : { kind: head?.crop === 'native' ? ('native' as const) : ('fixed' as const) },
    };
    const out = await stylisePortrait(portraitModels, finder, photo, options.strength, signal);
    frame = out.frame;
    tiles = out.tiles;
    // A look that draws faces when it finds them (crop: face) is whole without one; a portrait
    // model (DCT-Net's) says so when it found none.
    const noFace = out.faces.length === 0 && head?.crop !== 'face';
    portrait = { faces: out.faces.length, noFace, detectMs: round1(out.detectMs), headMs: round1(out.headMs), ...(job.includeFaces ? { boxes: out.faces } : {}) };
  } else if (options.strength > 0) {
    const styled = await stylise(await models.model(entry, side), photo, options.strength, signal);
    tiles = styled.stats.tiles;
    frame = styled.frame;
  }
  const inference = performance.now() - t;
  signal.throwIfAborted();

  t = performance.now();
  const encoded = await encodeImage(frame, options.format);
  const encode = performance.now() - t;
  return { image: encoded, tiles, ...(portrait ? { portrait } : {}), timings: { queued: queuedMs, decode, inference, encode } };
}

/** The crop sides a `crop: face` head is built for: its own and its variants'. */
function headSides(entry: ModelEntry): number[] {
  const head = entry.manifest.head;
  return [...(head?.side !== undefined ? [head.side] : []), ...(head?.variants ?? []).map((v) => v.side)];
}

export function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
