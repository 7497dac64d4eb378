/** What every chat adapter hands back to main when it has started. */
export interface RunningBot {
  readonly name: string;
  /** Stops taking new updates, answers the jobs in flight, then disconnects. */
  stop(): Promise<void>;
}
