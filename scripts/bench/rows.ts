/**
 * What the benchmark measures, typed: the task a child process runs, and the row it prints back.
 * The report (bench.json) is these rows with the model and size they were measured at.
 */
import type { AgainstReport } from './against.ts';
import type { BenchModelId } from './models.ts';

export type Task = { provider: string } & (
  | { kind: 'size'; model: BenchModelId; resolution: number; runs: number; input: string }
  | { kind: 'untiled'; model: BenchModelId; resolution: number; input: string }
  | { kind: 'batch'; model: BenchModelId; resolution: number; images: number; input: string }
  | { kind: 'pair'; model: BenchModelId; resolution: number; rounds: number; input: string }
  | { kind: 'portrait'; resolution: number; runs: number; input: string }
  | { kind: 'clip'; resolution: number; seconds: number; input: string }
  | { kind: 'scale'; resolution: number; runs: number; images: number; input: string }
  | { kind: 'int8'; resolution: number; runs: number; input: string }
  | { kind: 'journal'; resolution: number; runs: number; input: string }
  | { kind: 'replies'; runs: number; quick: boolean; input: string }
  | { kind: 'switch'; resolution: number; rounds: number; input: string }
);
export type TaskKind = Task['kind'];
export type TaskOf<K extends TaskKind> = Extract<Task, { kind: K }>;

/** One model at one output size through the engine, against bare `session.run` of the same graph. */
export interface SizeRow {
  providers: string[];
  width: number;
  height: number;
  tiles: number;
  runs: number;
  decodeMs: number;
  inferenceMs: number;
  encodeMs: number;
  totalMs: number;
  bareMs: number;
  /** Median of end-to-end / bare over alternating runs. */
  overhead: number;
  outputKiB: number;
  /** The engine's own peak, before the bare session is opened. */
  peakRssMiB: number;
}

export interface UntiledRow {
  inferenceMs: number;
  peakRssMiB: number;
}

/** The face pass's cost on one photo: the look with it against the same look without it. */
export interface FaceCase {
  photo: string;
  faces: number;
  detectMs: number;
  /** All faces: crop, face graph, paste back. */
  headMs: number;
  totalMs: number;
  /** The whole-frame graph alone (the face pass taken out of the manifest). */
  frameOnlyMs: number;
  /** totalMs / frameOnlyMs − 1. */
  added: number;
}

export interface PortraitRow {
  cases: FaceCase[];
  peakRssMiB: number;
}

export interface BatchRow {
  images: number;
  rssStartMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  rssSeriesMiB: number[];
  medianMs: number;
  peakRssMiB: number;
}

export interface PairRow {
  rounds: number;
  aloneMs: number;
  firstMs: number;
  secondMs: number;
  /** What a second user at the same instant adds, on average over both. */
  addedMeanMs: number;
  addedSecondMs: number;
  peakRssMiB: number;
}

export type Skipped = { skipped: string };

export type Int8Row = Skipped | { fp32Ms: number; int8Ms: number; ratio: number; meanError: number; p99Error: number; fp32Bytes: number; int8Bytes: number };

export type ScaleRow =
  | Skipped
  | {
      runs: number;
      embeddedMs: number;
      redisMs: number;
      addedMs: number;
      transitMs: number;
      batch: number;
      redisStartKiB: number;
      redisEndKiB: number;
      redisDeltaKiB: number;
      eventsDeltaKiB: number;
      keysStart: number;
      keysEnd: number;
    };

/** A clip end to end (toon, its face pass included) against its frames run one by one as photos of the same size. */
export interface ClipRow {
  frames: number;
  fps: number;
  width: number;
  height: number;
  clipMs: number;
  /** The same frames as PNG photos, one job each, summed. */
  photosMs: number;
  ratio: number;
  /** A photo submitted while the clip runs: how long it waits for its turn. */
  photoWaitMs: number;
  bytes: number;
  peakRssMiB: number;
}

/** A photo's end-to-end time, and the journal's four writes (fsynced) around it. */
export interface JournalRow {
  runs: number;
  plainMs: number;
  journalledMs: number;
  /** The journal's own time per job: add, status note, delivered, done. */
  linesMs: number;
  /** linesMs over plainMs. */
  added: number;
}

/** Each reply path from a 1280 px JPEG in (as Telegram sends a photo). */
export interface RepliesRow {
  inputBytes: number;
  paths: {
    path: string;
    resolution: number;
    decodeMs: number;
    modelMs: number;
    encodeMs: number;
    totalMs: number;
    bytes: number;
    /** `burst` replies submitted at once: the wall time from the first submit to the last answer, per reply. */
    burstMs: number;
    burst: number;
  }[];
}

/** Switching looks: each look's first job after a change against its second in a row. */
export interface SwitchRow {
  jobs: { look: string; round: number; firstMs: number; againMs: number }[];
  /** Median of the second jobs. */
  warmMs: number;
  /** Median of the first jobs. */
  firstMs: number;
  /** firstMs over warmMs, and the slowest first job over warmMs. */
  ratio: number;
  worstRatio: number;
  peakRssMiB: number;
}

/** The row each kind of task prints. */
export interface Rows {
  size: SizeRow;
  untiled: UntiledRow;
  portrait: PortraitRow;
  clip: ClipRow;
  batch: BatchRow;
  pair: PairRow;
  int8: Int8Row;
  scale: ScaleRow;
  journal: JournalRow;
  replies: RepliesRow;
  switch: SwitchRow;
}

type At = { model: string; resolution: number };

export interface BenchReport {
  /** The provider asked for, and those the models ran on. */
  provider: string;
  ranOn: string[];
  inputSide: number;
  date: string;
  machine: string;
  quick: boolean;
  wallSeconds: number;
  sizes: (At & SizeRow)[];
  untiled: At & UntiledRow;
  portrait: At & PortraitRow;
  clip: { resolution: number } & ClipRow;
  batches: (At & BatchRow)[];
  pairs: (At & PairRow)[];
  int8: At & Int8Row;
  scale: { resolution: number } & ScaleRow;
  journal: { resolution: number } & JournalRow;
  replies: RepliesRow;
  switching: { resolution: number } & SwitchRow;
  /** The face row's photos through this build and an older one (against.ts); absent for --quick and --no-against. */
  against?: AgainstReport | { commit: string; skipped: string };
}
