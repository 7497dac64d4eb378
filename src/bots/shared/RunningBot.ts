import type { LateOutcome, ReplyAddress } from '../../engine/index.ts';

export type { LateOutcome, ReplyAddress };

/** What every chat adapter hands back to main when it has started. */
export interface RunningBot {
  readonly name: string;
  /** Stops taking new updates, answers the jobs in flight, then disconnects. */
  stop(): Promise<void>;
  /**
   * The stop's grace period is over: downloads under way end at once, and their jobs are
   * answered "restarting" (the engine's cancelAll answers the ones in line).
   */
  abort(): void;
  /**
   * Scale-out mode: answers a job that a previous run of this bot accepted (the process restarted
   * while a worker had it), at the address the adapter gave as the request's `replyTo`.
   */
  answerLater?(replyTo: ReplyAddress, outcome: LateOutcome): Promise<void>;
}
