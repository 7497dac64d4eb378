/**
 * The one way a request becomes a cartoon, for every front end (Telegram, Discord, the studio, and
 * clips after them): the job's Cancel handle, the day's allowance, a place in line held before a
 * byte is fetched, the fetch, the submit into that place; the place and the handle are given back
 * however it ends, and the allowance when it failed. An adapter says only how to fetch, how to show
 * the place in line and how to deliver; errors come out as one ToonError, and `describe` turns them
 * into the user's text the same way everywhere.
 *
 * A refusal (the line full, the sender at their cap, the day's photos used) downloads nothing.
 */
import { ToonError, toToonError, type CartoonRequest, type CartoonResult, type Engine, type Logger, type Progress } from '../../engine/index.ts';
import { errorText, type Lang } from '../../i18n/index.ts';
import type { Cancellable } from './Cancels.ts';
import type { Platform } from '../../i18n/index.ts';
import { textContext } from './captions.ts';
import type { Community } from './community.ts';

export interface JobSpec<T> {
  /** Who asks (`telegram:42`): their place in line, their cap, their allowance. */
  requester: string;
  /** What the job needs (a download, an upload being read); called once a place in line is held. */
  fetch: () => Promise<T>;
  /** The request made of what was fetched (made after the fetch: a deadline counts from then). */
  request: (fetched: T) => Omit<CartoonRequest, 'requester'>;
  /** The place in line changed (0: started). */
  onPosition?: (position: number) => void;
  /** A clip's frames drawn so far. */
  onProgress?: (progress: Progress) => void;
  /**
   * A job run again after a restart (the journal): the killed run spent its allowance already, and
   * a kill gives nothing back, so this run spends none.
   */
  prepaid?: boolean;
  /** The job is in a line that outlives this process (scale-out): a restart is answered from there. */
  onDurable?: () => void;
  /** Ends the job from outside (the browser went away); its reason is the job's error. */
  signal?: AbortSignal;
  /** The job's Cancel handle while it is open (for its button), then undefined. */
  onHandle?: (handle: Cancellable | undefined) => void;
}

/** A job its Cancel button ended: its status says so, and no error is sent. */
export function pressed(error: unknown): boolean {
  return error instanceof ToonError && error.code === 'CANCELLED' && error.detail.pressed === true;
}

export class JobRunner {
  constructor(
    private readonly engine: Engine,
    private readonly platform: Platform,
    private readonly log: Logger,
    /** Cancel buttons and the access lists' allowance; absent where there are none (the studio). */
    private readonly community?: Pick<Community, 'access' | 'cancels'>,
  ) {}

  /**
   * Runs one job to its result.
   * @throws what the fetch or the engine threw (a ToonError, or anything else: `describe` turns
   * it into one), CANCELLED with `detail.pressed` when its Cancel button ended it (see `pressed`),
   * or the outside signal's reason
   */
  async run<T>(spec: JobSpec<T>): Promise<CartoonResult> {
    const handle = this.community?.cancels.open(spec.requester);
    spec.onHandle?.(handle);
    const signals = [handle?.signal, spec.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const giveBack: (() => Promise<void>)[] = [];
    const access = spec.prepaid ? undefined : this.community?.access;
    try {
      // The day's allowance is checked (and one photo of it spent) before the download; a clip
      // spends the rest of its cost once its header is read, before it joins the line.
      if (access) giveBack.push(await access.spend(spec.requester));
      const onCost = async (photos: number): Promise<void> => {
        if (access && photos > 1) giveBack.push(await access.spend(spec.requester, photos - 1, photos));
      };
      const onPosition = (position: number): void => {
        handle?.position(position);
        spec.onPosition?.(position);
      };
      const ticket = this.engine.reserve(spec.requester);
      try {
        const fetched = await spec.fetch();
        const { onProgress, onDurable } = spec;
        return await ticket.submit(spec.request(fetched), { onPosition, onCost, ...(onProgress ? { onProgress } : {}), ...(onDurable ? { onDurable } : {}), ...(signal ? { signal } : {}) });
      } finally {
        ticket.release();
      }
    } catch (error) {
      for (const give of giveBack) await give();
      if (handle?.cancelled) throw new ToonError('CANCELLED', { detail: { pressed: true } });
      throw spec.signal?.aborted ? toToonError(spec.signal.reason, 'CANCELLED') : error;
    } finally {
      handle?.close();
      spec.onHandle?.(undefined);
    }
  }

  /** The user's text for an error, in their language; what is our fault is logged with `facts`. */
  describe(lang: Lang, error: unknown, facts: Record<string, unknown> = {}): { error: ToonError; text: string } {
    const toon = toToonError(error);
    if (toon.code === 'INTERNAL') this.log.error(`${this.platform} job failed`, { ...facts, error: toon.cause ?? toon });
    return { error: toon, text: errorText(lang, toon, textContext(this.engine, this.platform)) };
  }
}
