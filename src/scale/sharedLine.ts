/**
 * The line shared by every bot process of a deployment, as this one sees it: the counts and the
 * live workers (read every refreshMs and whenever an event says the line moved), each of this
 * process's jobs told its place, and the bound that refuses new photos when the line is full.
 */
import { ToonError, type Logger, type Progress, type QueueStats } from '../engine/expert.ts';
import type { JobChannel, QueuedJob } from './channel.ts';
import type { JobReturn } from './protocol.ts';

/** One of this process's jobs in Redis, waiting for its answer. */
export interface Pending {
  resolve: (value: JobReturn) => void;
  reject: (error: ToonError) => void;
  onPosition?: (position: number) => void;
  /** A clip's frames drawn, as its worker reports them. */
  onProgress?: (progress: Progress) => void;
  /** Last place told; 0 once a worker has it. */
  position?: number;
  addedAt: number;
}

export interface CatchUp {
  /** A job whose end was missed (a dropped connection): answer it now. */
  finished(id: string, job: QueuedJob): void;
  /** A job Redis no longer has (it restarted without its data). */
  lost(id: string): void;
}

export class SharedLine {
  #counts = { waiting: 0, active: 0 };
  #workers: { count: number; providers: string[] } = { count: 0, providers: [] };
  /** The last look at the queue worked. */
  #reachable = true;
  #positionsQueued = false;
  #stopped = false;

  constructor(
    private readonly channel: JobChannel,
    private readonly pending: Map<string, Pending>,
    private readonly log: Logger,
    private readonly catchUp: CatchUp,
  ) {}

  get workers(): { count: number; providers: string[] } {
    return this.#workers;
  }

  get waiting(): number {
    return this.#counts.waiting;
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  /** The line as users see it: this process's own figures, with the shared counts. */
  stats(local: QueueStats): QueueStats {
    const waiting = Math.max(this.#counts.waiting, this.#mineWaiting());
    // This process's clips count for more than one photo's work each (local.work beyond its jobs).
    return { ...local, waiting, running: this.#counts.active, work: waiting + this.#counts.active + Math.max(0, local.work - local.waiting - local.running) };
  }

  /**
   * Refuses when the shared line (all producers' jobs in Redis, and the places this process holds)
   * is at its bound: `maxWaiting` plus one a live worker.
   */
  checkRoom(reserved: number, maxWaiting: number): void {
    const waiting = Math.max(this.#counts.waiting, this.#mineWaiting()) + reserved;
    if (waiting >= maxWaiting + Math.max(1, this.#workers.count)) throw new ToonError('QUEUE_FULL', { detail: { waiting, workers: this.#workers.count } });
  }

  /** A worker took the job: it is being cartoonised. */
  started(id: string): void {
    const pending = this.pending.get(id);
    if (pending) this.#tell(pending, 0);
    this.moved();
  }

  /** Reads the wait list once soon, however many events asked. */
  moved(): void {
    if (this.#positionsQueued || this.#stopped) return;
    this.#positionsQueued = true;
    setTimeout(() => {
      this.#positionsQueued = false;
      void this.#positions();
    }, 50);
  }

  /** Counts, live workers, and jobs whose events were missed. */
  async refresh(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#counts = await this.channel.counts();
      this.#workers = await this.channel.workers();
      this.#reachable = true;
      const now = Date.now();
      for (const [id, pending] of this.pending) {
        if (now - pending.addedAt < 3000) continue;
        const job = await this.channel.getJob(id);
        if (job?.finishedOn !== undefined) this.catchUp.finished(id, job);
        // Gone from Redis: nobody will run it; say so now, not at the deadline.
        else if (!job) this.catchUp.lost(id);
      }
      if (this.pending.size > 0) void this.#positions();
    } catch (error) {
      this.#reachable = false;
      this.log.warn('scale-out: could not read the queue', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  #mineWaiting(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.position !== 0) n += 1;
    return n;
  }

  async #positions(): Promise<void> {
    if (this.#stopped) return;
    const waiting = [...this.pending.entries()].filter(([, p]) => p.position !== 0);
    try {
      const line = await this.channel.line();
      this.#counts = { waiting: line.waiting.length, active: line.active };
      for (const [id, pending] of waiting) {
        const index = line.waiting.indexOf(id);
        if (index >= 0) this.#tell(pending, index + 1);
      }
    } catch (error) {
      this.log.warn('scale-out: could not read the line', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  #tell(pending: Pending, position: number): void {
    if (pending.position === position || pending.position === 0) return;
    pending.position = position;
    try {
      pending.onPosition?.(position);
    } catch {
      // an observer's failure is its own
    }
  }
}
