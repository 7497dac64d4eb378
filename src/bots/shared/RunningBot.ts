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
}
