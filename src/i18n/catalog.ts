/** The shape of a language's texts, and the facts texts are filled in with. */
import type { ErrorCode } from '../engine/index.ts';

export type Lang = 'en' | 'zh';

/** Where the text is shown, for the few texts that name the platform's own limits or steps. */
export type Platform = 'telegram' | 'discord' | 'web' | 'cli';

/** Facts from configuration that texts state: never hard-coded in a catalog. */
export interface TextContext {
  platform: Platform;
  /** Style ids on offer. */
  styles: readonly string[];
  /** The engine's pixel limit, in megapixels. */
  maxMegapixels: number;
}

export interface Catalog {
  /** One text per error code; `detail` holds the error's facts (limits, the word or option at fault). */
  errors: Record<ErrorCode, (c: TextContext, detail: Record<string, unknown>) => string>;
  invalidOption: (option: string, styles: readonly string[]) => string;
  unknownWord: (word: string) => string;
  /** The place in line as a message of its own (Telegram). */
  queued: (position: number) => string;
  /** The place in line inside the reply that will carry the result (Discord). */
  inLine: (position: number) => string;
  processing: string;
  /** Item `index` (1-based) of `count`, before a batch's status. */
  batchItem: (index: number, count: number) => string;
  batchPartial: (failed: number, total: number) => string;
  /** An album longer than the bot takes: how many were left out, and the most it takes. */
  batchSkipped: (skipped: number, max: number) => string;
  /** A settings change that could not be saved. */
  notSaved: string;
  timings: (queue: string, processing: string, total: string) => string;
  seconds: (s: number) => string;
  help: (botName: string) => string;
  needPhoto: string;
  settingsTitle: (s: { strength: number; resolution: number; style: string; format: string }) => string;
  settingsLabels: { strength: string; resolution: string; style: string; format: string };
  saved: string;
  noFace: string;
  resized: string;
  /** The output was made smaller than asked: the photo is too small to enlarge that far. */
  smallPhoto: (side: number) => string;
  buttonsExpired: string;
  notYours: (userId: string) => string;
  stronger: string;
  softer: string;
  delete: string;
  /** The local web studio's page. */
  studio: StudioTexts;
}

/** The web studio's labels: sent to the page as they are (no functions). */
export interface StudioTexts {
  title: string;
  tagline: string;
  drop: string;
  pick: string;
  style: string;
  license: string;
  strength: string;
  strengthHint: string;
  resolution: string;
  format: string;
  faces: string;
  go: string;
  /** "#{n} in line…": `{n}` is replaced on the page. */
  inLine: string;
  uploading: string;
  processing: string;
  before: string;
  after: string;
  download: string;
  queue: string;
  processingTime: string;
  total: string;
  recent: string;
  clearRecent: string;
  noFace: string;
  facesFound: string;
  offline: string;
  needPhoto: string;
}

/** A byte count in megabytes: whole ones (Telegram's and Discord's limits are stated that way), tenths below 10. */
export function megabytes(detail: Record<string, unknown>): number {
  const mb = Number(detail.maxBytes ?? 0) / 1e6;
  return mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10;
}
