/**
 * Fairness between groups: a Discord server or a Telegram group may have at most `max` photos
 * reserved, waiting or running at once, so one busy group cannot fill the line for everyone else.
 * (The engine's per-user cap is per person; this is per place.)
 */
import { ToonError } from './errors.ts';

export class GroupCaps {
  readonly #held = new Map<string, number>();

  constructor(private readonly max: number) {}

  /**
   * Holds one place for `group`; call the returned function once the job has ended.
   * @throws ToonError GROUP_BUSY when the group is at its cap
   */
  hold(group: string): () => void {
    const held = this.#held.get(group) ?? 0;
    if (held >= this.max) throw new ToonError('GROUP_BUSY', { detail: { held, max: this.max } });
    this.#held.set(group, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#held.get(group) ?? 1) - 1;
      if (left > 0) this.#held.set(group, left);
      else this.#held.delete(group);
    };
  }

  heldBy(group: string): number {
    return this.#held.get(group) ?? 0;
  }
}
