/**
 * The place in line as users see it, on both platforms: "#3 in line…" while waiting,
 * "Cartoonising…" once started (only if a status was shown: a job that starts at once shows
 * nothing), and "2/4 · " before each when a batch is worked through. Updates are coalesced to one
 * per `minIntervalMs`, within both platforms' edit limits; the platform only supplies the sink.
 */
import type { Progress } from '../../engine/index.ts';
import { texts, type Lang } from '../../i18n/index.ts';

export interface StatusSink {
  /**
   * `message`: the status is a message of its own, so its text says what it is about ("Queued:
   * #3 in line…"); `reply`: it shows in the reply that will carry the result ("#3 in line…").
   */
  kind: 'message' | 'reply';
  /** Shows `text` (the first call creates the status, later ones replace it). */
  show(text: string): Promise<void>;
  /** Removes the status, if it is a message of its own. */
  clear(): Promise<void>;
  /** Leaves `text` as the status's last word (no buttons): how the job ended ("Cancelled"). */
  end?(text: string): Promise<void>;
}

export class QueueStatus {
  readonly #sink: StatusSink;
  readonly #lang: Lang;
  readonly #minIntervalMs: number;
  #item = { index: 0, count: 1 };
  #shown: string | undefined;
  #wanted: string | undefined;
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(sink: StatusSink, lang: Lang, minIntervalMs = 1500) {
    this.#sink = sink;
    this.#lang = lang;
    this.#minIntervalMs = minIntervalMs;
  }

  /** Item `index` (0-based) of a batch of `count` starts; a batch shows its progress at once. */
  item(index: number, count: number): void {
    this.#item = { index, count };
    if (count > 1) this.#want(this.#text(0));
  }

  /** The engine's onPosition: 1 = next in line, 0 = started. */
  position(position: number): void {
    if (position >= 1 || this.#wanted !== undefined) this.#want(this.#text(position));
  }

  /** A clip's progress while it is drawn (shown even when the job started at once: a clip takes a while). */
  progress({ frame, frames }: Progress): void {
    this.#want(this.#batch() + texts(this.#lang).drawingFrame(frame, frames));
  }

  /** Stops updates, waits for the one under way, then clears the status (or leaves `last` in it). */
  async close(last?: string): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#chain;
    if (last !== undefined && this.#sink.end) await this.#sink.end(last);
    else if (this.#shown !== undefined) await this.#sink.clear();
  }

  #text(position: number): string {
    const t = texts(this.#lang);
    return this.#batch() + (position >= 1 ? (this.#sink.kind === 'message' ? t.queued(position) : t.inLine(position)) : t.processing);
  }

  /** "2/4 · " before the status of a batch's item; nothing for a single job. */
  #batch(): string {
    const { index, count } = this.#item;
    return count > 1 ? texts(this.#lang).batchItem(index + 1, count) : '';
  }

  #want(text: string): void {
    if (this.#closed) return;
    this.#wanted = text;
    if (this.#timer) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#chain = this.#chain.then(() => this.#flush());
      },
      Math.max(0, this.#lastAt + this.#minIntervalMs - Date.now()),
    );
  }

  async #flush(): Promise<void> {
    const text = this.#wanted;
    if (this.#closed || text === undefined || text === this.#shown) return;
    this.#lastAt = Date.now();
    // The sink reports its own failures; a status that could not be shown is not retried.
    await this.#sink.show(text);
    this.#shown = text;
  }
}
