/**
 * What the studio's API sends, written once: the server's routes are typed with these, and the
 * page's script (public/*.js, checked by `npm run typecheck`) reads the same types through JSDoc.
 * Type-only imports, so that the page's check does not reach into the engine's code.
 */
import type { CartoonOptions, StyleInfo } from '../../engine/index.ts';
import type { OutputFormat } from '../../engine/index.ts';
import type { Lang, StudioTexts } from '../../i18n/catalog.ts';

/** `GET /api/info?lang=`. */
export interface StudioInfo {
  lang: Lang;
  texts: StudioTexts;
  /** Texts the page shows before asking the server, in the words the server would use. */
  messages: { tooLarge: string };
  /** The description in the page's language. */
  styles: Omit<StyleInfo, 'descriptions'>[];
  defaults: CartoonOptions;
  limits: {
    strength: { min: number; max: number };
    resolution: { min: number; max: number };
    /** The resolutions the page offers (the API takes any whole number in range). */
    resolutions: number[];
    formats: readonly OutputFormat[];
    maxBytes: number;
    maxMegapixels: number;
  };
}

/** A face found by a portrait style, in output pixels; keypoints are `[x, y]` pairs. */
interface StudioFace {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  keypoints: [number, number][];
}

/** A result without its image: what the page shows next to it (and keeps with recent ones). */
export interface StudioResult {
  mime: string;
  format: OutputFormat | 'mp4' | 'gif';
  width: number;
  height: number;
  /** The style id. */
  style: string;
  options: CartoonOptions;
  timings: { queueMs: number; processingMs: number; totalMs: number };
  /** Portrait styles only. */
  faces?: { count: number; noFace: boolean; boxes: StudioFace[] };
}

/** `POST /api/cartoon` with `accept: text/event-stream`: the events, by name. */
export interface StudioEvents {
  /** Place in line; 0 once the photo is being cartoonised. */
  position: { position: number };
  /** A clip being drawn: `frame` of about `frames`. */
  progress: { frame: number; frames: number };
  /** The one last event of a job that worked; `image` is base64. */
  result: StudioResult & { image: string };
  /** The one last event of a job that did not. */
  error: StudioError;
}

/** An error's body: `{ error }` with an HTTP status before the job is accepted, an `error` event after. */
export interface StudioError {
  code: string;
  message: string;
}
