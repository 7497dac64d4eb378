/**
 * Who the bot serves, decided before anything is downloaded: its owners always; nobody on the
 * block list (a user, or a whole group or server); with an allow list, only who is on it; and each
 * user up to the daily limit (UTC day). Lists come from the configuration (seeds) and from the
 * owners' commands (the store). Every change and every refusal is an audit log line, ids only.
 */
import { echo, type JobEvent, type Logger } from '../../../engine/index.ts';
import { ToonError } from '../errors.ts';
import type { AccessStore, ListName } from './stores.ts';

export interface AccessConfig {
  /** Platform user ids of the bot's owners: `telegram:123`, `discord:456`. */
  owners: readonly string[];
  /** Seed lists from the configuration (TOONBOT_ALLOW, TOONBOT_BLOCK); the store adds to them. */
  allow: readonly string[];
  block: readonly string[];
  /** Photos per user per UTC day; 0: no limit. */
  dailyLimit: number;
}

/** Who sent a photo, and where. */
export interface Sender {
  /** `telegram:123` */
  user: string;
  /** `telegram:chat:-100…`, `discord:guild:789`; absent in private chats and DMs. */
  place?: string;
  /** A Discord channel inside the server (`discord:channel:…`), listed on its own. */
  channel?: string;
}

/** A subject as the owners type it. */
export const SUBJECT = /^(telegram|discord):((chat|guild|channel):)?-?\d{1,20}$/;

/** The UTC day of `at`, `2026-12-01`. */
export function utcDay(at = Date.now()): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The next UTC midnight after `at` (epoch ms). */
export function nextUtcMidnight(at = Date.now()): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

export class Access {
  readonly #owners: Set<string>;

  constructor(
    private readonly store: AccessStore,
    private readonly config: AccessConfig,
    private readonly log: Logger,
    /** Told of each refusal (metrics count them with the engine's outcomes). */
    private readonly onRefused: (event: JobEvent) => void = () => undefined,
  ) {
    this.#owners = new Set(config.owners);
  }

  isOwner(user: string): boolean {
    return this.#owners.has(user);
  }

  /**
   * Whether `sender` may have a photo done at all (lists only).
   * @throws ToonError NOT_AVAILABLE, with `detail.notify` true the first time today in a private
   * chat (say so once a day; in groups a refusal is silent)
   */
  async check(sender: Sender): Promise<void> {
    if (this.isOwner(sender.user)) return;
    const stored = await unavailableOnFailure(this.store.lists());
    const on = (list: ListName, seeds: readonly string[]) => [sender.user, sender.place, sender.channel].some((s) => s !== undefined && (stored[list].has(s) || seeds.includes(s)));
    const allowList = stored.allow.size > 0 || this.config.allow.length > 0;
    const refused = on('block', this.config.block) ? 'blocked' : allowList && !on('allow', this.config.allow) ? 'not on the allow list' : undefined;
    if (!refused) return;
    const notify = sender.place === undefined && (await this.store.firstToday(`refused:${sender.user}`, utcDay()).catch(() => false));
    this.log.info('access: photo refused', { user: sender.user, place: sender.place, reason: refused, told: notify });
    this.onRefused({ requester: sender.user, style: '', outcome: 'NOT_AVAILABLE' });
    throw new ToonError('NOT_AVAILABLE', { detail: { reason: refused, notify } });
  }

  /**
   * `photos` of `user`'s daily allowance (the rest of a clip's `cost`: it costs several); returns
   * how to give them back (a job that failed on our side, or was cancelled, does not count).
   * @throws ToonError DAILY_LIMIT with the limit, when it resets, and a clip's cost
   */
  async spend(user: string, photos = 1, cost = photos): Promise<() => Promise<void>> {
    const limit = this.config.dailyLimit;
    if (limit <= 0 || this.isOwner(user)) return async () => undefined;
    const day = utcDay();
    if (!(await unavailableOnFailure(this.store.take(user, day, limit, photos)))) {
      this.log.info('access: daily limit reached', { user, limit, photos });
      this.onRefused({ requester: user, style: '', outcome: 'DAILY_LIMIT' });
      throw new ToonError('DAILY_LIMIT', { detail: { limit, resetAt: nextUtcMidnight(), ...(cost > 1 ? { cost } : {}) } });
    }
    let given = false;
    return async () => {
      if (given) return;
      given = true;
      await this.store.give(user, day, photos).catch((error: unknown) => this.log.warn('access: could not give a photo back', { user, error }));
    };
  }

  /**
   * An owner's change to a list.
   * @throws ToonError OWNERS_ONLY for anyone else; INVALID_OPTION for a subject that is not an id
   */
  async change(by: string, list: ListName, subject: string, on: boolean): Promise<void> {
    if (!this.isOwner(by)) {
      this.log.info('access: owner command refused', { user: by, list, on });
      throw new ToonError('OWNERS_ONLY');
    }
    if (!SUBJECT.test(subject)) throw new ToonError('INVALID_OPTION', { message: `Not an id: ${echo(subject)}`, detail: { option: 'id', value: echo(subject) } });
    await unavailableOnFailure(this.store.change(list, subject, on));
    this.log.info(`access: ${on ? 'added to' : 'removed from'} the ${list} list`, { by, subject });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * A store that cannot be reached (Redis away) is the UNAVAILABLE refusal users already know
 * ("send it again shortly"), never silence: a photo is answered either way.
 */
async function unavailableOnFailure<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new ToonError('UNAVAILABLE', { message: 'The access lists could not be read.', cause: error });
  }
}
