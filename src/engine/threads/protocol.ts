/**
 * Messages between the engine (main thread) and its inference threads. Everything here crosses
 * `postMessage`: plain data, typed arrays, and errors flattened to their code and facts.
 */
import { inspect } from 'node:util';
import { ToonError, type ErrorCode } from '../errors.ts';
import type { ImageLimits } from '../image.ts';
import type { Logger } from '../log.ts';
import type { ModelEntry } from '../manifest.ts';
import type { JobInput, JobOutput } from '../pipeline.ts';
import type { RuntimeConfig } from '../runtime.ts';
import type { Progress } from '../types.ts';

/** What a thread is started with. */
export interface ThreadData {
  runtime: RuntimeConfig;
  limits: ImageLimits;
  /** The thread's script (loaded by the TypeScript starter when running from source). */
  entry: string;
}

export type ToThread =
  /** `decoded`: the id of a 'decode' this thread ran ahead for this job. */
  | { type: 'job'; id: number; input: JobInput; queuedMs: number; decoded?: number }
  /** Decode a photo next in line ahead of its job, and keep it for that job. */
  | { type: 'decode'; id: number; image: Uint8Array; size: { width: number; height: number } }
  /** The job decoded ahead left the line without running: drop its photo. */
  | { type: 'forget'; id: number }
  /** A clip's turn has come again: it may draw its next part. */
  | { type: 'go'; id: number }
  | { type: 'cancel'; id: number; error: WireError }
  | { type: 'warmup'; id: number; entry: ModelEntry }
  | { type: 'close'; id: number };

export type FromThread =
  | { type: 'done'; id: number; output: JobOutput; providers: string[] }
  | { type: 'warm'; id: number; provider: string; providers: string[] }
  /** A clip between its parts: how far it has come; it waits for 'go'. */
  | { type: 'turn'; id: number; progress: Progress }
  /** A photo is drawn and encoding: its slot may go to the next job. */
  | { type: 'released'; id: number }
  | { type: 'failed'; id: number; error: WireError; providers: string[] }
  | { type: 'closed'; id: number }
  | LogLine;

/** A log line from a thread, written by its parent's logger. */
export interface LogLine {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

/** A thread's logger: each line posted to its parent through `post`. */
export function threadLogger(post: (line: LogLine) => void): Logger {
  const emit =
    (level: LogLine['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      try {
        post({ type: 'log', level, message, ...(fields ? { fields } : {}) });
      } catch {
        // A field that cannot be cloned: the line without it.
        post({ type: 'log', level, message, fields: { unclonable: Object.keys(fields ?? {}) } });
      }
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/**
 * `data` as a buffer that may be transferred: transfer detaches the whole ArrayBuffer, so one that
 * shares its memory with other buffers (Node's small-buffer pool) is copied first.
 */
export function transferable(data: Buffer): Buffer {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : Buffer.from(data);
}

/** A ToonError as data: its code, message and facts, and what caused it, as text. */
export interface WireError {
  code: ErrorCode;
  message: string;
  detail: Record<string, unknown>;
  cause?: { name: string; message: string; stack?: string };
}

export function toWire(error: ToonError): WireError {
  const cause =
    error.cause instanceof Error
      ? { name: error.cause.name, message: error.cause.message, ...(error.cause.stack ? { stack: error.cause.stack } : {}) }
      : error.cause === undefined
        ? undefined
        : { name: 'Error', message: inspect(error.cause) };
  return { code: error.code, message: error.message, detail: error.detail, ...(cause ? { cause } : {}) };
}

export function fromWire(wire: WireError): ToonError {
  let cause: Error | undefined;
  if (wire.cause) {
    cause = new Error(wire.cause.message);
    cause.name = wire.cause.name;
    if (wire.cause.stack) cause.stack = wire.cause.stack;
  }
  return new ToonError(wire.code, { message: wire.message, detail: wire.detail, ...(cause ? { cause } : {}) });
}
