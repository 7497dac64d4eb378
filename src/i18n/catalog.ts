/** The shape of a language's texts, and the facts texts are filled in with. */
import type { ErrorCode } from '../engine/index.ts';
import type { Period, StatsFacts } from '../observe/stats.ts';

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
  /** A clip being drawn: `frame` of `frames`. */
  drawingFrame: (frame: number, frames: number) => string;
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
  /** Running it for a community: the Cancel button, /queue, the owners' commands and /stats. */
  ops: OpsTexts;
}

interface OpsTexts {
  /** The Cancel button's label. */
  cancel: string;
  cancelled: string;
  /** A Cancel button of a job that has already ended. */
  cancelGone: string;
  /** Someone else pressed the sender's Cancel button. */
  notYourJob: string;
  /** /queue: where the user's photos are (0 = being cartoonised). */
  queue: (positions: readonly number[]) => string;
  /** An owner's list change, done. */
  changed: (list: 'allow' | 'block', subject: string, on: boolean) => string;
  /** How to use /block, /unblock and /allow. */
  usage: string;
  stats: (f: StatsFacts) => string;
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
  /** "Cartoonising… frame {n}/{of}": `{n}` and `{of}` are replaced on the page. */
  drawingFrame: string;
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
  /** The button that takes the photo out of the line, and what the page says then. */
  cancel: string;
  cancelled: string;
}

/** How long until a daily count resets, from `detail.resetAt` (epoch ms): "3 h 20 min" / "3 小时 20 分钟". */
export function resetIn(detail: Record<string, unknown>, lang: Lang = 'en'): string {
  const ms = Math.max(0, Number(detail.resetAt) - Date.now());
  const h = Math.floor(ms / 3_600_000);
  const m = Math.max(1, Math.ceil((ms % 3_600_000) / 60_000));
  if (lang === 'zh') return h > 0 ? `${h} 小时 ${m} 分钟` : `${m} 分钟`;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** /stats in any language: `words` names the parts. */
export function statsText(
  f: StatsFacts,
  words: {
    since: string;
    today: string;
    done: string;
    failed: string;
    refused: string;
    processing: string;
    total: string;
    line: string;
    longest: string;
    busiest: string;
    providers: string;
    uptime: string;
  },
): string {
  const secs = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const times = (t: Period['processing']) => (t ? `p50 ${secs(t.p50)}, p95 ${secs(t.p95)}` : '-');
  const line = (label: string, p: Period) =>
    `${label}: ${words.done} ${p.done}, ${words.failed} ${p.failed}, ${words.refused} ${
      Object.entries(p.refused)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || '0'
    }\n  ${words.processing} ${times(p.processing)}; ${words.total} ${times(p.total)}`;
  const h = Math.floor(f.uptimeS / 3600);
  const m = Math.floor((f.uptimeS % 3600) / 60);
  return [
    `ToonBot ${f.version}`,
    line(words.since, f.since),
    line(words.today, f.today),
    `${words.line}: ${f.lineNow}; ${words.longest} ${f.lineLongestToday}`,
    `${words.busiest}: ${f.busiest.map((b) => `${b.place} (${b.photos})`).join(', ') || '-'}`,
    `${words.providers}: ${f.providers.join(', ') || '-'}; ${words.uptime} ${h} h ${m} min`,
  ].join('\n');
}

/** A byte count in megabytes: whole ones (Telegram's and Discord's limits are stated that way), tenths below 10. */
export function megabytes(detail: Record<string, unknown>): number {
  const mb = Number(detail.maxBytes ?? 0) / 1e6;
  return mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10;
}
