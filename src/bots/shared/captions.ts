/** The text under a result: where the time went, and what the user should know about it. */
import type { CartoonResult, Engine } from '../../engine/index.ts';
import { styleNames } from '../../engine/index.ts';
import { texts, type Lang, type Platform, type TextContext } from '../../i18n/index.ts';

/** What users are shown as "processing": decode, model and encode, without the wait in line. */
export function processingMs(result: CartoonResult): number {
  return result.timings.decode + result.timings.inference + result.timings.encode;
}

/** "⏱ queue 0.2 s · processing 1.1 s · total 1.6 s" */
function timingsCaption(lang: Lang, queuedMs: number, processingMs: number, totalMs: number): string {
  const t = texts(lang);
  return t.timings(t.seconds(queuedMs / 1000), t.seconds(processingMs / 1000), t.seconds(totalMs / 1000));
}

/**
 * The caption of one result or of a batch sent together: summed timings (`totalMs` counted by the
 * adapter, from the user's request), then one line per note (a resize, no face found).
 */
export function resultCaption(lang: Lang, results: readonly CartoonResult[], totalMs: number, notes: { resized?: boolean } = {}): string {
  const t = texts(lang);
  const queued = results.reduce((s, r) => s + r.timings.queued, 0);
  const processing = results.reduce((s, r) => s + processingMs(r), 0);
  // A size below the one asked for: the photo was too small to enlarge that far.
  const small = results.find((r) => Math.max(r.width, r.height) < r.options.resolution);
  const timing = timingsCaption(lang, queued, processing, totalMs) + (notes.resized ? ` · ${t.resized}` : '') + (small ? ` · ${t.smallPhoto(Math.max(small.width, small.height))}` : '');
  return results.some((r) => r.portrait?.noFace) ? `${timing}\n${t.noFace}` : timing;
}

/** The facts an adapter's texts are filled in with, from the engine it feeds. */
export function textContext(engine: Engine, platform: Platform): TextContext {
  return { platform, styles: styleNames(engine.styles()), maxMegapixels: Math.round(engine.limits.maxPixels / 1e6) };
}
