/**
 * Reading the studio's upload: the multipart form (one photo, option fields) within the byte limit
 * and the studio's time limits, with every way a form can be wrong as a ToonError.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { echo, ToonError, toToonError } from '../../engine/index.ts';

/**
 * The form's shape: one photo, the option fields and `faces` (5 today) with room to spare, and no
 * value longer than any valid option (a style id is under 40 characters; 200 leaves room for
 * imported styles' names).
 */
const FORM_LIMITS = { files: 1, fields: 10, fieldSize: 200, parts: 12 } as const;
/** The form field the photo must come in. */
const PHOTO_FIELD = 'photo';

export interface Upload {
  image: Buffer | undefined;
  /** No prototype: a field named `__proto__` is just a field. */
  fields: Record<string, string>;
}

/**
 * Waits for the upload within the studio's time limits: nothing received for `idleMs`, or the
 * whole of it not in within `totalMs`, ends it with TIMEOUT; so does the job's signal (the
 * browser went away, or a stop whose grace is over) with its reason. The idle clock reads the
 * socket's byte count, so it never touches the stream the form parser reads.
 */
export function withinUploadLimits<T>(req: FastifyRequest, reading: Promise<T>, signal: AbortSignal, limits: { idleMs: number; totalMs: number }): Promise<T> {
  reading.catch(() => undefined); // still rejects later, when its connection is closed
  const socket = req.raw.socket;
  return new Promise<T>((resolve, reject) => {
    let last = socket.bytesRead;
    let lastAt = performance.now();
    const started = lastAt;
    const tick = setInterval(
      () => {
        const now = performance.now();
        if (socket.bytesRead !== last) {
          last = socket.bytesRead;
          lastAt = now;
        } else if (now - lastAt >= limits.idleMs) {
          fail(new ToonError('TIMEOUT', { message: 'The upload stalled.', detail: { stage: 'upload', idleMs: limits.idleMs } }));
        }
        if (now - started >= limits.totalMs) fail(new ToonError('TIMEOUT', { message: 'The upload took too long.', detail: { stage: 'upload', totalMs: limits.totalMs } }));
      },
      Math.max(20, Math.min(1000, limits.idleMs / 4)),
    );
    const onAbort = (): void => fail(signal.reason);
    function done(): void {
      clearInterval(tick);
      signal.removeEventListener('abort', onAbort);
    }
    function fail(error: unknown): void {
      done();
      reject(toToonError(error, 'CANCELLED'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    reading.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => fail(error),
    );
  });
}

/** Closes the connection once the answer has been written (an upload that was cut mid-body). */
export function closeAfterAnswer(req: FastifyRequest, reply: FastifyReply): void {
  const close = (): void => void req.raw.socket?.destroy();
  if (reply.raw.writableFinished || reply.raw.destroyed) close();
  else reply.raw.once('finish', close).once('close', close);
}

/** Reads the form: option fields and one photo (the field `photo`), within `maxBytes`. */
export async function readUpload(req: FastifyRequest, maxBytes: number, signal: AbortSignal): Promise<Upload> {
  if (!req.isMultipart()) throw new ToonError('UNSUPPORTED_IMAGE', { message: 'Send the photo as multipart/form-data.', detail: { contentType: req.headers['content-type'] } });
  const upload: Upload = { image: undefined, fields: Object.create(null) as Record<string, string> };
  try {
    for await (const part of req.parts({ limits: { fileSize: maxBytes, ...FORM_LIMITS } })) {
      signal.throwIfAborted();
      if (part.type === 'file') {
        if (part.fieldname !== PHOTO_FIELD)
          throw new ToonError('INVALID_OPTION', { message: `Send the photo in the form field named "${PHOTO_FIELD}".`, detail: { form: 'photoField', field: echo(part.fieldname) } });
        upload.image = await part.toBuffer();
      } else {
        // A value longer than any valid option is refused, not cut.
        if (part.valueTruncated || part.fieldnameTruncated)
          throw new ToonError('INVALID_OPTION', { message: 'A form field is too long.', detail: { form: 'fieldTooLong', field: echo(part.fieldname) } });
        if (typeof part.value === 'string') upload.fields[part.fieldname] = part.value;
      }
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof ToonError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new ToonError('IMAGE_TOO_LARGE', { detail: { maxBytes } });
    if (code === 'FST_FILES_LIMIT') throw new ToonError('INVALID_OPTION', { message: 'Send one photo at a time.', detail: { form: 'onePhoto' } });
    if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') throw new ToonError('INVALID_OPTION', { message: 'Too many fields in the form.', detail: { form: 'tooManyFields' } });
    if (code === 'FST_PROTO_VIOLATION') throw new ToonError('INVALID_OPTION', { message: 'A form field has a name that is not allowed.', detail: { form: 'badField' } });
    throw new ToonError('CORRUPT_IMAGE', { message: 'The upload was cut short.', cause: error });
  }
  signal.throwIfAborted();
  return upload;
}
