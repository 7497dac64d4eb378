/**
 * The durable line of the embedded mode: every accepted job is written here before the platform
 * is told we have it (Telegram's update confirmed, Discord's interaction deferred), and marked done
 * once its reply is delivered. A bot killed at any instant (`kill -9`, an OOM kill, a reboot) finds
 * its unfinished jobs here at the next start, in their order, and answers them.
 *
 * Storage: one append-only file of lines `<crc32 hex> <json>\n`, each append fsynced (appends that
 * arrive together share one write and one fsync). A kill mid-write leaves at most a torn last line:
 * its checksum fails, it is skipped and logged, and every line before it stands. Compaction
 * writes the live records to a new file, fsyncs it, renames it over the old one and fsyncs the
 * folder, so the journal on disk is always the old one or the new one, never a mix. This is a
 * write-ahead log of the simplest kind; a database would add a native module (better-sqlite3
 * needs install scripts, node:sqlite needs Node 22) for nothing these records need.
 *
 * Records are small (the platform's message or interaction, not the photo: the file is fetched
 * again by its reference), and only live jobs are kept after compaction, so the file's size
 * follows the line's limits.
 */
import { crc32 } from 'node:zlib';
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../engine/index.ts';

/** One unfinished job as the journal holds it. */
export interface JournalEntry<T = unknown> {
  id: number;
  /** When it was accepted (ms since the epoch). */
  at: number;
  /** What makes it unique on its platform (`telegram:<chat>:<message>`), to drop a second delivery of the same update. */
  key: string;
  job: T;
  /** Facts learnt while it ran (the status message's id), and `delivered` once its reply went out. */
  notes: Record<string, unknown>;
}

type Line = { t: 'add'; id: number; at: number; key: string; job: unknown } | { t: 'note'; id: number; note: Record<string, unknown> } | { t: 'done'; id: number };

/** Lines written before the journal compacts itself (when fewer than a quarter of them are live). */
const COMPACT_AFTER = 512;
/** Keys of finished jobs remembered (a platform re-delivering an update just answered). */
const RECENT_KEYS = 4096;

export class Journal {
  readonly #file: string;
  readonly #log: Logger;
  #handle: FileHandle | undefined;
  readonly #live = new Map<number, JournalEntry>();
  readonly #recent = new Set<string>();
  #nextId = 1;
  #lines = 0;
  #bytes = 0;
  /** Lines waiting for the next write, with the callers waiting for their fsync. */
  #pending: { text: string; settle: (error?: Error) => void }[] = [];
  #writing: Promise<void> | undefined;
  /** Jobs found unfinished at open. */
  readonly recovered: readonly JournalEntry[];

  private constructor(file: string, log: Logger, recovered: JournalEntry[]) {
    this.#file = file;
    this.#log = log;
    this.recovered = recovered;
  }

  /**
   * Opens (or creates) the journal at `file`: reads what a previous run left, skipping a torn or
   * damaged line with a warning, and compacts it to the unfinished jobs.
   */
  static async open(file: string, log: Logger): Promise<Journal> {
    await mkdir(path.dirname(file), { recursive: true });
    const { live, recent, nextId, skipped } = parse(await readFile(file, 'utf8').catch(ignoreMissing));
    if (skipped > 0) log.warn('journal: skipped damaged lines (a write cut short by a crash)', { file, skipped });
    const journal = new Journal(file, log, [...live.values()]);
    for (const [id, entry] of live) journal.#live.set(id, entry);
    for (const key of recent) journal.#remember(key);
    journal.#nextId = nextId;
    await journal.#compact();
    if (live.size > 0) log.info('journal: unfinished jobs from the last run', { jobs: live.size });
    return journal;
  }

  /** Unfinished jobs and the journal's size on disk, for /metrics. */
  stats(): { jobs: number; bytes: number; recovered: number } {
    return { jobs: this.#live.size, bytes: this.#bytes, recovered: this.recovered.length };
  }

  /** Whether a job with this key is in hand or was finished lately (a platform delivering it twice). */
  has(key: string): boolean {
    return this.#recent.has(key) || [...this.#live.values()].some((e) => e.key === key);
  }

  /** Writes a new job; resolves once it is on disk. */
  async add(key: string, job: unknown): Promise<JournalEntry> {
    const entry: JournalEntry = { id: this.#nextId++, at: Date.now(), key, job, notes: {} };
    this.#live.set(entry.id, entry);
    await this.#append({ t: 'add', id: entry.id, at: entry.at, key, job });
    return entry;
  }

  /** Adds facts to a job (merged into its notes); resolves once on disk. */
  async note(id: number, note: Record<string, unknown>): Promise<void> {
    const entry = this.#live.get(id);
    if (!entry) return;
    Object.assign(entry.notes, note);
    await this.#append({ t: 'note', id, note });
  }

  /** The job is answered and cleaned up: it will not be run again. */
  async done(id: number): Promise<void> {
    const entry = this.#live.get(id);
    if (!entry) return;
    this.#live.delete(id);
    this.#remember(entry.key);
    await this.#append({ t: 'done', id });
  }

  /** Waits for the writes under way and closes the file. */
  async close(): Promise<void> {
    while (this.#writing) await this.#writing;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #remember(key: string): void {
    this.#recent.delete(key);
    this.#recent.add(key);
    if (this.#recent.size > RECENT_KEYS) this.#recent.delete(this.#recent.values().next().value as string);
  }

  #append(line: Line): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ text: frame(line), settle: (error) => (error ? reject(error) : resolve()) });
      this.#writing ??= this.#flush();
    });
  }

  /** Writes what is pending in one write and one fsync, until nothing is; compacts when due. */
  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        try {
          const text = batch.map((b) => b.text).join('');
          this.#handle ??= await open(this.#file, 'a');
          await this.#handle.write(text);
          await this.#handle.datasync();
          this.#lines += batch.length;
          this.#bytes += Buffer.byteLength(text);
          for (const b of batch) b.settle();
        } catch (error) {
          this.#log.error('journal: a write failed', { file: this.#file, error });
          for (const b of batch) b.settle(error instanceof Error ? error : new Error(String(error)));
        }
        if (this.#lines >= COMPACT_AFTER && this.#live.size * 4 < this.#lines) await this.#compact().catch((error: unknown) => this.#log.warn('journal: compaction failed', { error }));
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** Rewrites the journal as the live jobs only: a new file, fsynced, renamed over the old one. */
  async #compact(): Promise<void> {
    const lines: string[] = [];
    for (const e of this.#live.values()) {
      lines.push(frame({ t: 'add', id: e.id, at: e.at, key: e.key, job: e.job }));
      if (Object.keys(e.notes).length > 0) lines.push(frame({ t: 'note', id: e.id, note: e.notes }));
    }
    const text = lines.join('');
    const temp = `${this.#file}.new`;
    const handle = await open(temp, 'w');
    try {
      await handle.write(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.#handle?.close();
    this.#handle = undefined;
    await rename(temp, this.#file);
    // The rename itself is durable once the folder is synced.
    const folder = await open(path.dirname(this.#file), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    this.#lines = lines.length;
    this.#bytes = Buffer.byteLength(text);
  }
}

function frame(line: Line): string {
  const json = JSON.stringify(line);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The journal's lines replayed: live jobs in order, keys of finished ones, the next id, lines skipped. */
function parse(text: string): { live: Map<number, JournalEntry>; recent: string[]; nextId: number; skipped: number } {
  const live = new Map<number, JournalEntry>();
  const recent: string[] = [];
  let nextId = 1;
  let skipped = 0;
  const lines = text.split('\n');
  // A last line with no newline was cut short, whatever it holds.
  if (lines.at(-1) !== '') skipped += 1;
  for (const raw of lines.slice(0, -1)) {
    const line = unframe(raw);
    if (!line) {
      skipped += 1;
      continue;
    }
    nextId = Math.max(nextId, line.id + 1);
    // An add written twice (by a compaction, and by the append that was waiting behind it) is one.
    if (line.t === 'add') live.set(line.id, live.get(line.id) ?? { id: line.id, at: line.at, key: line.key, job: line.job, notes: {} });
    else if (line.t === 'note') Object.assign(live.get(line.id)?.notes ?? {}, line.note);
    else {
      const entry = live.get(line.id);
      if (entry) recent.push(entry.key);
      live.delete(line.id);
    }
  }
  return { live, recent, nextId, skipped };
}

function unframe(raw: string): Line | undefined {
  const match = /^([0-9a-f]{8}) (.*)$/.exec(raw);
  if (!match || parseInt(match[1] as string, 16) !== crc32(match[2] as string)) return undefined;
  try {
    const line = JSON.parse(match[2] as string) as Line;
    return typeof line.id === 'number' && ['add', 'note', 'done'].includes(line.t) ? line : undefined;
  } catch {
    return undefined;
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return '';
  throw error;
}

/**
 * One accepted job's lines in the journal, as an adapter uses them: facts as they are learnt, then
 * `delivered` once its reply is out (a restart does not send it again), then `done` once cleaned
 * up. An album is one job over several lines. Without a journal (scale-out, the studio) it does
 * nothing.
 */
export class JobTrack {
  static readonly NONE = new JobTrack(undefined, [], undefined);
  #handed = 0;

  constructor(
    private readonly journal: Journal | undefined,
    readonly ids: readonly number[],
    private readonly log: Logger | undefined,
    /** A job a killed run left: run again, its allowance already spent. */
    readonly recovered = false,
  ) {}

  /** Records facts (the status message's id) without waiting for the disk. */
  note(facts: Record<string, unknown>): void {
    void this.#each('note', (journal, id) => journal.note(id, facts));
  }

  /**
   * One of the job's `of` photos is in a line that outlives the process (scale-out: Redis answers
   * it after a restart); once all are, the journal lets go of the job.
   */
  handed(of: number): void {
    this.#handed += 1;
    if (this.#handed >= of) void this.done();
  }

  /** The reply is out: from now on a restart only cleans up. */
  delivered(): Promise<void> {
    return this.#each('delivered', (journal, id) => journal.note(id, { delivered: true }));
  }

  /** Answered and cleaned up: gone from the journal. */
  done(): Promise<void> {
    return this.#each('done', (journal, id) => journal.done(id));
  }

  /** A journal that cannot be written is logged, never a reason to lose the reply in hand. */
  async #each(what: string, write: (journal: Journal, id: number) => Promise<void>): Promise<void> {
    const { journal } = this;
    if (!journal) return;
    await Promise.all(this.ids.map((id) => write(journal, id))).catch((error: unknown) => this.log?.warn(`journal: "${what}" was not written`, { error }));
  }
}
