/**
 * Albums arrive as separate messages sharing a media_group_id, with no end marker: collect them
 * until the group has been quiet for `quietMs`, then hand the whole album over at once.
 */
import type { Message } from 'telegraf/types';

const MAX_ITEMS = 10;

export class AlbumCollector {
  readonly #quietMs: number;
  readonly #onAlbum: (messages: Message[]) => void;
  readonly #pending = new Map<string, { messages: Message[]; timer: NodeJS.Timeout }>();

  constructor(quietMs: number, onAlbum: (messages: Message[]) => void) {
    this.#quietMs = quietMs;
    this.#onAlbum = onAlbum;
  }

  add(message: Message & { media_group_id?: string }): void {
    const key = `${message.chat.id}:${message.media_group_id}`;
    const entry = this.#pending.get(key);
    if (entry) {
      clearTimeout(entry.timer);
      if (entry.messages.length < MAX_ITEMS) entry.messages.push(message);
      entry.timer = setTimeout(() => this.#release(key), this.#quietMs);
      return;
    }
    this.#pending.set(key, { messages: [message], timer: setTimeout(() => this.#release(key), this.#quietMs) });
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
    this.#onAlbum(entry.messages.sort((a, b) => a.message_id - b.message_id));
  }
}
