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
    const [background, head, finder] = await Promise.all([models.model(entry, side), models.model(headEntry(entry), side), models.faceFinder()]);
    const portraitModels = { background, head, mask: (n: number) => models.mask(entry, n), nativeCrop: entry.manifest.head?.crop === 'native' };
    const out = await stylisePortrait(portraitModels, finder, photo, options.strength, signal);
    frame = out.frame;
    tiles = out.tiles;
    portrait = { faces: out.faces.length, noFace: out.faces.length === 0, detectMs: round1(out.detectMs), headMs: round1(out.headMs), ...(job.includeFaces ? { boxes: out.faces } : {}) };
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

export function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
