/**
 * The "queued: #3" message: sent once, edited as the line moves, deleted when the result is out.
 * Edits are coalesced to at most one per `minIntervalMs`, within Telegram's per-chat limits.
 */
export interface StatusApi {
  send(text: string): Promise<number | undefined>;
  edit(messageId: number, text: string): Promise<unknown>;
  remove(messageId: number): Promise<unknown>;
}

export class StatusMessage {
  readonly #api: StatusApi;
  readonly #minIntervalMs: number;
  #id: number | undefined;
  #shown: string | undefined;
  #wanted: string | undefined;
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(api: StatusApi, minIntervalMs = 1500) {
    this.#api = api;
    this.#minIntervalMs = minIntervalMs;
  }

  /** Whether a status message has been asked for. */
  get active(): boolean {
    return this.#wanted !== undefined;
  }

  show(text: string): void {
    if (this.#closed) return;
    this.#wanted = text;
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastAt + this.#minIntervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.#inFlight.then(() => this.#flush());
    }, this.#id === undefined ? 0 : wait);
  }

  /** Stops updates and deletes the message if it was sent. */
  async remove(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    if (this.#id !== undefined) await this.#api.remove(this.#id);
    this.#id = undefined;
  }

  async #flush(): Promise<void> {
    const text = this.#wanted;
    if (this.#closed || text === undefined || text === this.#shown) return;
    this.#lastAt = Date.now();
    if (this.#id === undefined) this.#id = await this.#api.send(text);
    else await this.#api.edit(this.#id, text);
    this.#shown = text;
  }
}
