/**
 * Per-chat default options, kept in a small JSON file so they survive restarts. Writes go to a
 * temporary file that is then renamed over the old one, so a crash never leaves half a file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../engine/index.ts';

export type ChatSettings = { strength?: number; resolution?: number; style?: string; format?: string };

export class SettingsStore {
  readonly #file: string;
  readonly #log: Logger;
  #data = new Map<string, ChatSettings>();
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, log: Logger) {
    this.#file = file;
    this.#log = log;
  }

  /** Opens the store; a missing file is an empty store, an unreadable one is set aside. */
  static async open(file: string, log: Logger): Promise<SettingsStore> {
    const store = new SettingsStore(file, log);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Record<string, ChatSettings>;
      store.#data = new Map(Object.entries(parsed));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        const aside = `${file}.unreadable-${Date.now()}`;
        log.warn('settings file unreadable, starting empty', { file, aside });
        await rename(file, aside).catch(() => undefined);
      }
    }
    return store;
  }

  get(chat: string | number): ChatSettings {
    return { ...this.#data.get(String(chat)) };
  }

  async set(chat: string | number, patch: ChatSettings): Promise<ChatSettings> {
    const next = { ...this.#data.get(String(chat)), ...patch };
    this.#data.set(String(chat), next);
    const snapshot = JSON.stringify(Object.fromEntries(this.#data), null, 1);
    this.#writing = this.#writing.then(() => this.#write(snapshot));
    await this.#writing;
    return { ...next };
  }

  async #write(json: string): Promise<void> {
    try {
      await mkdir(path.dirname(this.#file), { recursive: true });
      const tmp = `${this.#file}.tmp`;
      await writeFile(tmp, json);
      await rename(tmp, this.#file);
    } catch (error) {
      this.#log.error('could not save settings', { file: this.#file, error });
    }
  }
}
