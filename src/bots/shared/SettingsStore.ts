/**
 * Per-chat default options, kept in a small JSON file so they survive restarts. Writes go to a
 * temporary file that is then renamed over the old one, so a crash never leaves half a file; a
 * write that fails is reported to the caller (the user is told) and its change undone.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../engine/index.ts';

export type ChatSettings = { strength?: number; resolution?: number; style?: string; format?: string };

export class SettingsStore {
  readonly #file: string;
  readonly #log: Logger;
  #data = new Map<string, ChatSettings>();
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(file: string, log: Logger) {
    this.#file = file;
    this.#log = log;
  }

  /**
   * Opens the store; a missing file is an empty store, a file that is not JSON is set aside.
   * @throws Error when the path is a directory, or a file that cannot be read (nothing is moved)
   */
  static async open(file: string, log: Logger): Promise<SettingsStore> {
    const store = new SettingsStore(file, log);
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
    if (info === null) return store;
    if (!info.isFile()) throw new Error(`The settings path ${file} is not a file. Point TELEGRAM_SETTINGS_PATH at a file (it is created when missing).`);
    const text = await readFile(file, 'utf8');
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      store.#data = new Map(Object.entries(parsed as Record<string, ChatSettings>));
    } catch {
      const aside = `${file}.unreadable-${Date.now()}`;
      log.warn('settings file unreadable, starting empty', { file, aside });
      await rename(file, aside);
    }
    return store;
  }

  get(chat: string | number): ChatSettings {
    return { ...this.#data.get(String(chat)) };
  }

  /**
   * Saves a chat's changed defaults.
   * @returns the chat's settings, or null when they could not be written (nothing changed then)
   */
  async set(chat: string | number, patch: ChatSettings): Promise<ChatSettings | null> {
    const key = String(chat);
    const before = this.#data.get(key);
    const next = { ...before, ...patch };
    this.#data.set(key, next);
    const snapshot = JSON.stringify(Object.fromEntries(this.#data), null, 1);
    const write = this.#writing.then(() => this.#write(snapshot));
    this.#writing = write;
    if (await write) return { ...next };
    // Not saved: undo this change, unless a later one has replaced it meanwhile.
    if (this.#data.get(key) === next) {
      if (before) this.#data.set(key, before);
      else this.#data.delete(key);
    }
    return null;
  }

  async #write(json: string): Promise<boolean> {
    try {
      await mkdir(path.dirname(this.#file), { recursive: true });
      const tmp = `${this.#file}.tmp`;
      await writeFile(tmp, json);
      await rename(tmp, this.#file);
      return true;
    } catch (error) {
      this.#log.error('could not save settings', { file: this.#file, error });
      return false;
    }
  }
}
