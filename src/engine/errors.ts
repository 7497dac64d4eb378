/**
 * The one error type of the project. `code` is stable: front ends map it to their users' texts
 * (src/i18n); `message` is a plain English description for logs and the command line; `detail`
 * holds facts (numbers, names) for logs and for filling in texts, never sentences for users.
 */
/** The engine's own codes, each with its English description (for logs and the command line). */
export const DEFAULT_MESSAGES = {
  UNSUPPORTED_IMAGE: 'That is not an image I can read. Send a photo (JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF).',
  CORRUPT_IMAGE: 'That image looks damaged or incomplete. Try sending it again.',
  IMAGE_TOO_LARGE: 'That image is too large for me. Try a smaller one.',
  INVALID_OPTION: 'One of the options is not valid.',
  QUEUE_FULL: 'I am very busy right now and the line is full. Please try again in a minute.',
  USER_BUSY: 'You already have photos in line. Wait for them to finish, then send more.',
  DEADLINE_TOO_SHORT: 'The line is too long to finish in time. Try again in a few minutes.',
  TIMEOUT: 'That took too long and was stopped. Try a smaller resolution, or try again later.',
  CANCELLED: 'The request was cancelled.',
  MODEL_UNAVAILABLE: 'That style is not available right now.',
  SHUTTING_DOWN: 'I am restarting. Please send it again in a moment.',
  UNAVAILABLE: 'My photo queue is not reachable for a moment. Please send it again shortly.',
  INTERNAL: 'Something went wrong on my side. Please try again.',
} as const;

type EngineErrorCode = keyof typeof DEFAULT_MESSAGES;

/**
 * Every code a ToonError may carry. The engine's own are above; a front end adds the refusals it
 * makes before the engine sees a job (a download too large, a group at its cap) by merging into
 * this interface and calling `addErrorCodes` (src/bots/shared/errors.ts), so the engine's list
 * holds no front end's codes.
 * @public merged into by module augmentation, which knip does not follow
 */
export interface ErrorCodeMap extends Record<EngineErrorCode, true> {}

export type ErrorCode = keyof ErrorCodeMap;

const messages = new Map<string, string>(Object.entries(DEFAULT_MESSAGES));

/** A front end's codes with their English descriptions; called once, when its errors module loads. */
export function addErrorCodes(added: Readonly<Record<string, string>>): void {
  for (const [code, message] of Object.entries(added)) messages.set(code, message);
}

/** Every code known in this process: the engine's, then those front ends added. */
export function errorCodes(): ErrorCode[] {
  return [...messages.keys()] as ErrorCode[];
}

/** Whether `code` is a known code (errors read back from another process). */
export function isErrorCode(code: string): code is ErrorCode {
  return messages.has(code);
}

interface ToonErrorOptions {
  /** Replaces the default description (plain English, for logs and the command line). */
  message?: string;
  /** Facts for logs and for filling in texts (limits, the option at fault); never user sentences. */
  detail?: Record<string, unknown>;
  cause?: unknown;
}

export class ToonError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;

  constructor(code: ErrorCode, options: ToonErrorOptions = {}) {
    super(options.message ?? messages.get(code) ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail ?? {};
  }

  override get name(): string {
    return `ToonError[${this.code}]`;
  }
}

export function isToonError(error: unknown, code?: ErrorCode): error is ToonError {
  return error instanceof ToonError && (code === undefined || error.code === code);
}

/**
 * How much of a user's own text an error repeats (an unknown word, a form field's name): enough to
 * recognise it, never a whole message (a wall of text, or a token pasted by mistake) in a reply or
 * a log line.
 */
const ECHO_CHARS = 40;

/** The part of a user's text an error may repeat. */
export function echo(text: string): string {
  return text.slice(0, ECHO_CHARS);
}

/** Wraps anything thrown into a ToonError, keeping the original as `cause`. */
export function toToonError(error: unknown, fallback: ErrorCode = 'INTERNAL'): ToonError {
  return error instanceof ToonError ? error : new ToonError(fallback, { cause: error });
}

/**
 * Native code (onnxruntime, libvips) throws errors whose stack ends inside the addon. Call this
 * before the native call; pass what it throws through the returned function to append the
 * JavaScript stack that led there.
 */
export function callSite(): <E>(error: E) => E {
  const site = new Error();
  return (error) => {
    if (error instanceof Error && site.stack) error.stack = `${error.stack}\n    --- called from ---\n${site.stack}`;
    return error;
  };
}
