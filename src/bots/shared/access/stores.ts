/**
 * Where the operators' lists and the daily counts are kept: a JSON file next to the settings, or
 * Redis when the deployment has one (TOONBOT_REDIS_URL), so that every bot process of it sees
 * the same lists and counts.
 *
 * Subjects are platform ids as the owners type them: `telegram:123` (a user), `telegram:chat:-100…`
 * (a group), `discord:456` (a user), `discord:guild:789` (a server).
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../../../engine/index.ts';

export type ListName = 'allow' | 'block';

export interface AccessStore {
  /** Both lists as they are now. */
  lists(): Promise<Record<ListName, Set<string>>>;
  /** Adds `subject` to a list (`on`) or takes it off. */
  change(list: ListName, subject: string, on: boolean): Promise<void>;
  /** `photos` more for `user` on `day` if that keeps them within `limit`; false (and none taken) when it would not. */
  take(user: string, day: string, limit: number, photos?: number): Promise<boolean>;
  /** Gives taken photos back (the job failed on our side, or was cancelled). */
  give(user: string, day: string, photos?: number): Promise<void>;
  /** True the first time it is asked for `key` on `day` (a refusal said once a day). */
  firstToday(key: string, day: string): Promise<boolean>;
  close(): Promise<void>;
}

interface FileData {
  allow: string[];
  block: string[];
  /** Photos per user, for one UTC day (older days are dropped). */
  counts: { day: string; users: Record<string, number> };
  notices: { day: string; keys: string[] };
}

/**
 * A JSON file, written to a temporary file then renamed over the old one (a crash never leaves
 * half a file). A file that cannot be read as the lists is a start-up error naming it: starting
 * with empty lists would unblock everyone.
 */
export class FileAccessStore implements AccessStore {
  #data: FileData = { allow: [], block: [], counts: { day: '', users: {} }, notices: { day: '', keys: [] } };
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  /** Lists and counts kept in memory only (tests, and bots started without a file). */
  static memory(log: Logger): FileAccessStore {
    return new FileAccessStore('', log);
  }

  /** @throws Error naming the file when it exists but is not a valid access file */
  static async open(file: string, log: Logger): Promise<FileAccessStore> {
    const store = new FileAccessStore(file, log);
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
    if (info === null) return store;
    const bad = (why: string) => new Error(`The access file ${file} ${why}. Fix or remove it (it holds the block and allow lists and today's counts), or point TOONBOT_ACCESS_PATH elsewhere.`);
    if (!info.isFile()) throw bad('is not a file');
    let parsed: Partial<FileData>;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<FileData>;
    } catch {
      throw bad('is not valid JSON');
    }
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (typeof parsed !== 'object' || parsed === null || !strings(parsed.allow) || !strings(parsed.block)) throw bad('has no allow and block lists');
    store.#data = {
      allow: parsed.allow,
      block: parsed.block,
      counts: parsed.counts && typeof parsed.counts.day === 'string' ? parsed.counts : { day: '', users: {} },
      notices: parsed.notices && typeof parsed.notices.day === 'string' ? parsed.notices : { day: '', keys: [] },
    };
    return store;
  }

  async lists(): Promise<Record<ListName, Set<string>>> {
    return { allow: new Set(this.#data.allow), block: new Set(this.#data.block) };
  }

  async change(list: ListName, subject: string, on: boolean): Promise<void> {
    const set = new Set(this.#data[list]);
    if (on) set.add(subject);
    else set.delete(subject);
    this.#data[list] = [...set].sort();
    await this.#save(true);
  }

  async take(user: string, day: string, limit: number, photos = 1): Promise<boolean> {
    if (this.#data.counts.day !== day) this.#data.counts = { day, users: {} };
    const used = this.#data.counts.users[user] ?? 0;
    if (used + photos > limit) return false;
    this.#data.counts.users[user] = used + photos;
    await this.#save(false);
    return true;
  }

  async give(user: string, day: string, photos = 1): Promise<void> {
    const users = this.#data.counts.day === day ? this.#data.counts.users : undefined;
    if (!users?.[user]) return;
    users[user] = Math.max(0, users[user] - photos);
    await this.#save(false);
  }

  async firstToday(key: string, day: string): Promise<boolean> {
    if (this.#data.notices.day !== day) this.#data.notices = { day, keys: [] };
    if (this.#data.notices.keys.includes(key)) return false;
    this.#data.notices.keys.push(key);
    await this.#save(false);
    return true;
  }

  async close(): Promise<void> {
    await this.#writing;
  }

  /** Writes the file; a list change that cannot be written is an error for the owner to see. */
  async #save(must: boolean): Promise<void> {
    if (!this.file) return;
    const json = JSON.stringify(this.#data, null, 1);
    const write = this.#writing.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, json);
      await rename(tmp, this.file);
    });
    this.#writing = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      this.log.error('could not save the access file', { file: this.file, error });
      if (must) throw error;
    }
  }
}

const KEY = {
  list: (list: ListName) => `toonbot:access:${list}`,
  count: (day: string, user: string) => `toonbot:quota:${day}:${user}`,
  notice: (day: string, key: string) => `toonbot:notice:${day}:${key}`,
};
/** Day keys outlive their day by this much (then Redis drops them). */
const DAY_TTL_S = 2 * 24 * 3600;

/** Redis: shared by every bot process of a deployment; a change through one is seen by all at once. */
export class RedisAccessStore implements AccessStore {
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url, { maxRetriesPerRequest: 2, connectionName: 'toonbot-access' });
    this.#redis.on('error', () => undefined);
  }

  async lists(): Promise<Record<ListName, Set<string>>> {
    const [allow, block] = await Promise.all([this.#redis.smembers(KEY.list('allow')), this.#redis.smembers(KEY.list('block'))]);
    return { allow: new Set(allow), block: new Set(block) };
  }

  async change(list: ListName, subject: string, on: boolean): Promise<void> {
    if (on) await this.#redis.sadd(KEY.list(list), subject);
    else await this.#redis.srem(KEY.list(list), subject);
  }

  async take(user: string, day: string, limit: number, photos = 1): Promise<boolean> {
    const key = KEY.count(day, user);
    const used = await this.#redis.incrby(key, photos);
    await this.#redis.expire(key, DAY_TTL_S);
    if (used <= limit) return true;
    await this.#redis.decrby(key, photos);
    return false;
  }

  async give(user: string, day: string, photos = 1): Promise<void> {
    const key = KEY.count(day, user);
    const used = Number(await this.#redis.get(key));
    if (used > 0) await this.#redis.decrby(key, Math.min(used, photos));
  }

  async firstToday(key: string, day: string): Promise<boolean> {
    return (await this.#redis.set(KEY.notice(day, key), '1', 'EX', DAY_TTL_S, 'NX')) === 'OK';
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
