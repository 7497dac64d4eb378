/**
 * The one error type that crosses the engine's boundary. `code` is stable (adapters map it to
 * their own texts); `message` is safe to show a user; `detail` and `cause` are for logs.
 */
export const ERROR_CODES = [
  'UNSUPPORTED_IMAGE',
  'CORRUPT_IMAGE',
  'IMAGE_TOO_LARGE',
  'INVALID_OPTION',
  'QUEUE_FULL',
  'USER_BUSY',
  'TIMEOUT',
  'CANCELLED',
  'MODEL_UNAVAILABLE',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Default user-safe texts, in English; adapters may localise by code. */
export const USER_MESSAGES: Record<ErrorCode, string> = {
  UNSUPPORTED_IMAGE: 'That file is not an image I can read. Send a JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF photo.',
  CORRUPT_IMAGE: 'That image looks damaged or incomplete. Try sending it again.',
  IMAGE_TOO_LARGE: 'That image is too large for me. Try a smaller one.',
  INVALID_OPTION: 'One of the options is not valid.',
  QUEUE_FULL: 'I am very busy right now and the line is full. Please try again in a minute.',
  USER_BUSY: 'You already have photos in line. Wait for them to finish, then send more.',
  TIMEOUT: 'That took too long and was stopped. Try a smaller resolution or try again later.',
  CANCELLED: 'The request was cancelled.',
  MODEL_UNAVAILABLE: 'That style is not available right now.',
  SHUTTING_DOWN: 'I am restarting. Please send it again in a moment.',
  INTERNAL: 'Something went wrong on my side. Please try again.',
};

export interface ToonErrorOptions {
  /** Replaces the default user-safe message (must itself be user-safe). */
  message?: string;
  /** Extra facts for logs, never shown to users. */
  detail?: Record<string, unknown>;
  cause?: unknown;
}

export class ToonError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;

  constructor(code: ErrorCode, options: ToonErrorOptions = {}) {
    super(options.message ?? USER_MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause });
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

/** Wraps anything thrown into a ToonError, keeping the original as `cause`. */
export function toToonError(error: unknown, fallback: ErrorCode = 'INTERNAL'): ToonError {
  return error instanceof ToonError ? error : new ToonError(fallback, { cause: error });
}
