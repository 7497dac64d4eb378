/**
 * Albums arrive as separate messages sharing a media_group_id, with no end marker: collect them
 * until the group has been quiet for `quietMs`, then hand the whole album over at once. Telegram
 * sends at most 10 per album; more (a non-standard server) are kept up to `MAX_ALBUM` and the
 * rest counted, so the user can be told.
 */
import type { Message } from 'telegraf/types';

export const MAX_ALBUM = 50;

export class AlbumCollector {
  readonly #quietMs: number;
  readonly #onAlbum: (messages: Message[], skipped: number) => void;
  readonly #pending = new Map<string, { messages: Message[]; skipped: number; timer: NodeJS.Timeout }>();

  constructor(quietMs: number, onAlbum: (messages: Message[], skipped: number) => void) {
    this.#quietMs = quietMs;
    this.#onAlbum = onAlbum;
  }

  add(message: Message & { media_group_id?: string }): void {
    const key = `${message.chat.id}:${message.media_group_id}`;
    const entry = this.#pending.get(key);
    if (entry) {
      clearTimeout(entry.timer);
      if (entry.messages.length < MAX_ALBUM) entry.messages.push(message);
      else entry.skipped += 1;
      entry.timer = setTimeout(() => this.#release(key), this.#quietMs);
      return;
    }
    this.#pending.set(key, { messages: [message], skipped: 0, timer: setTimeout(() => this.#release(key), this.#quietMs) });
  }

  /** Hands over every album still collecting (on shutdown). */
  flush(): void {
    for (const key of [...this.#pending.keys()]) this.#release(key);
  }

  #release(key: string): void {
    const entry = this.#pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#pending.delete(key);
    this.#onAlbum(
      entry.messages.sort((a, b) => a.message_id - b.message_id),
      entry.skipped,
    );
  }
}
