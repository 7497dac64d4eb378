/**
 * The photos a chat bot has accepted and not yet answered, each with a Cancel button's token:
 * pressing it (the photo's sender, or an owner) aborts the job: out of the line if it waits,
 * stopped between tiles if it runs, and the sender's place is free at once. A token is random
 * (a made-up or another job's id finds nothing of the presser's) and lives as long as its job.
 * The same record answers /queue: where each of a user's photos is.
 */
import { randomBytes } from 'node:crypto';
import { ToonError } from '../../engine/index.ts';

export interface Cancellable {
  readonly token: string;
  /** Goes to the engine's submit: aborted by a press. */
  readonly signal: AbortSignal;
  /** Whether a press ended it (its message then says "Cancelled"; no error reply). */
  readonly cancelled: boolean;
  /** The place in line, as the engine tells it (0 = being cartoonised). */
  position(position: number): void;
  /** The job has been answered: the token is forgotten. */
  close(): void;
}

export type PressOutcome = 'cancelled' | 'not-yours' | 'gone';

interface Entry {
  sender: string;
  controller: AbortController;
  position?: number;
  cancelled: boolean;
}

export class Cancels {
  readonly #jobs = new Map<string, Entry>();

  /** A job of `sender` that a button can cancel. */
  open(sender: string): Cancellable {
    const token = randomBytes(9).toString('base64url');
    const entry: Entry = { sender, controller: new AbortController(), cancelled: false };
    this.#jobs.set(token, entry);
    return {
      token,
      signal: entry.controller.signal,
      get cancelled() {
        return entry.cancelled;
      },
      position: (position) => {
        entry.position = position;
      },
      close: () => {
        this.#jobs.delete(token);
      },
    };
  }

  /** A press of the button with `token` by `presser`; owners may cancel anyone's. */
  press(token: string, presser: string, owner: boolean): PressOutcome {
    const entry = this.#jobs.get(token);
    if (!entry) return 'gone';
    if (entry.sender !== presser && !owner) return 'not-yours';
    entry.cancelled = true;
    this.#jobs.delete(token);
    entry.controller.abort(new ToonError('CANCELLED', { message: 'Cancelled with its button.', detail: { by: owner && entry.sender !== presser ? 'owner' : 'sender' } }));
    return 'cancelled';
  }

  /** Where `sender`'s photos are: a place in line each (0 = being cartoonised), in the order sent. */
  of(sender: string): number[] {
    return [...this.#jobs.values()].filter((e) => e.sender === sender).map((e) => e.position ?? 0);
  }
}
