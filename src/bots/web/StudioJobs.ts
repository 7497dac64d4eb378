/**
 * One photo from the studio (POST /api/cartoon, multipart): a place in line is held before the
 * upload is read, the upload is read into memory within the engine's byte limit (never written to
 * disk), the options are parsed like the bots', and the job joins the same line as the chats'.
 *
 * Two ways to answer, by the Accept header:
 * - `text/event-stream` (the page): `position` events while waiting ("#3 in line", 0 = started),
 *   `progress` events while a clip is drawn (frame 34 of 120), then one `result` event (the image in base64, its size, the timings, the faces) or one
 *   `error` event (code and the user's text);
 * - anything else (curl, scripts): the image itself, timings in `Server-Timing`.
 * Refusals before the job is accepted are JSON `{ error: { code, message } }` with an HTTP status.
 * A browser that goes away cancels its job, so that it leaves the line.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { extensionOf, ToonError, type CartoonResult, type Engine, type ErrorCode, type Logger } from '../../engine/index.ts';
import { pickLang, texts, type Lang } from '../../i18n/index.ts';
import { processingMs } from '../shared/captions.ts';
import { GroupCaps } from '../shared/GroupCaps.ts';
import { JobRunner } from '../shared/JobRunner.ts';
import { closeAfterAnswer, readUpload, withinUploadLimits } from './upload.ts';
import { InFlight } from '../shared/InFlight.ts';
import type { BrowserIds } from './guard.ts';
import { WEB_DEFAULTS } from './options.ts';
import type { StudioError, StudioEvents, StudioResult } from './wire.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_OPTION: 400,
  CORRUPT_IMAGE: 400,
  UNSUPPORTED_IMAGE: 415,
  IMAGE_TOO_LARGE: 413,
  USER_BUSY: 429,
  QUEUE_FULL: 503,
  SHUTTING_DOWN: 503,
  UNAVAILABLE: 503,
  DEADLINE_TOO_SHORT: 503,
  MODEL_UNAVAILABLE: 503,
  TIMEOUT: 504,
  CANCELLED: 499,
};
const OPTION_FIELDS = new Set(['style', 'strength', 'resolution', 'format']);
/**
 * Retry-After, in seconds, for refusals that pass by themselves: Redis away comes back within
 * seconds (the bot reconnects every second); a full line or a user's cap empties as jobs end
 * (~0.3-1 s each at 1024 here, so 30 s frees tens of places).
 */
const RETRY_AFTER_S = { UNAVAILABLE: 10, busy: 30 } as const;
const HEARTBEAT_MS = 15_000;

/** A form without a photo: answered 400 NO_PHOTO (an API answer, not a ToonError). */
class NoPhoto extends Error {}

interface StudioLimits {
  ids: BrowserIds;
  uploadIdleMs?: number;
  uploadMs?: number;
  perAddress?: number;
  uploadBudgetBytes?: number;
}

/** Writes one event of the stream (once the response has started). */
type Send = <K extends keyof StudioEvents>(event: K, data: StudioEvents[K]) => void;

export class StudioJobs {
  readonly #engine: Engine;
  readonly #runner: JobRunner;
  readonly #inFlight: InFlight;
  readonly #controllers = new Set<AbortController>();
  readonly #ids: BrowserIds;
  readonly #addresses: GroupCaps;
  readonly #upload: { idleMs: number; totalMs: number };
  readonly #budget: number;
  /** Bytes claimed by the uploads in hand: each its Content-Length, or the byte limit without one. */
  #bytesInFlight = 0;
  #draining = false;

  constructor(engine: Engine, log: Logger, limits: StudioLimits) {
    this.#engine = engine;
    this.#inFlight = new InFlight(log, 'studio job');
    this.#runner = new JobRunner(engine, 'web', log);
    this.#ids = limits.ids;
    this.#addresses = new GroupCaps(limits.perAddress ?? WEB_DEFAULTS.perAddress);
    this.#upload = { idleMs: limits.uploadIdleMs ?? WEB_DEFAULTS.uploadIdleMs, totalMs: limits.uploadMs ?? WEB_DEFAULTS.uploadMs };
    this.#budget = limits.uploadBudgetBytes ?? WEB_DEFAULTS.uploadBudgetBytes;
  }

  /** The route handler. Every accepted request ends in an answer (result or error). */
  handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const job = this.#run(req, reply);
    this.#inFlight.track(job);
    return job;
  }

  /** New photos are refused ("restarting"); the ones accepted are answered. */
  async stop(): Promise<void> {
    this.#draining = true;
    await this.#inFlight.drain();
  }

  /** The grace period is over: uploads still being read end now with "restarting". */
  abort(): void {
    for (const controller of this.#controllers) controller.abort(new ToonError('SHUTTING_DOWN'));
  }

  async #run(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const lang = langOf(req);
    const controller = new AbortController();
    this.#controllers.add(controller);
    // The browser closed the page or the connection: the job leaves the line.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new ToonError('CANCELLED', { message: 'The browser went away.' }));
    });
    let send: Send | undefined;
    let releaseAddress: (() => void) | undefined;
    let claimed = 0;
    // Until the form has been read to its end, an answer closes the connection after it: the
    // rest of the body is not worth reading (a refusal), or is not coming (a stalled upload).
    let bodyRead = false;
    try {
      if (this.#draining) throw new ToonError('SHUTTING_DOWN');
      // Memory stays bounded however many upload at once: each upload claims its size first.
      const declared = Number(req.headers['content-length']);
      const claim = Math.min(this.#engine.limits.maxBytes, Number.isFinite(declared) && declared > 0 ? declared : this.#engine.limits.maxBytes);
      if (this.#bytesInFlight + claim > this.#budget) throw new ToonError('QUEUE_FULL', { detail: { uploadBytesInFlight: this.#bytesInFlight, budget: this.#budget } });
      this.#bytesInFlight += claim;
      claimed = claim;
      // Per address on top of per browser: ids are free to make, addresses are not.
      try {
        releaseAddress = this.#addresses.hold(req.ip);
      } catch {
        throw new ToonError('USER_BUSY', { detail: { perAddress: this.#addresses.heldBy(req.ip) } });
      }
      const result = await this.#runner.run({
        requester: this.#ids.requester(req),
        // The upload is read once a place in line is held; the events start once it is in.
        fetch: async () => {
          const upload = await withinUploadLimits(req, readUpload(req, this.#engine.limits.maxBytes, controller.signal), controller.signal, this.#upload);
          bodyRead = true;
          if (!upload.image) throw new NoPhoto();
          const options = this.#engine.parseOptions(Object.fromEntries(Object.entries(upload.fields).filter(([k]) => OPTION_FIELDS.has(k))));
          const includeFaces = upload.fields.faces === '1' || upload.fields.faces === 'true';
          if (acceptsEvents(req)) send = openEvents(reply);
          return { image: upload.image, options, includeFaces };
        },
        // A clip comes back as a GIF: the page shows it in the same <img> as a photo.
        request: (job) => ({ ...job, clip: { format: 'gif' } }),
        onPosition: (position) => send?.('position', { position }),
        onProgress: (progress) => send?.('progress', progress),
        signal: controller.signal,
      });
      const totalMs = performance.now() - started;
      if (send) send('result', { ...describe(result, totalMs), image: result.image.toString('base64') });
      else await sendImage(reply, result, totalMs);
    } catch (error) {
      if (error instanceof NoPhoto) return void reply.code(400).send({ error: { code: 'NO_PHOTO', message: texts(lang).studio.needPhoto } });
      const { error: failure, text } = this.#runner.describe(lang, error);
      if (controller.signal.aborted && failure.code === 'CANCELLED') return; // nobody left to tell
      const body: StudioError = { code: failure.code, message: text };
      if (send) send('error', body);
      else if (!reply.sent) {
        if (failure.code === 'QUEUE_FULL' || failure.code === 'USER_BUSY' || failure.code === 'UNAVAILABLE')
          void reply.header('retry-after', String(failure.code === 'UNAVAILABLE' ? RETRY_AFTER_S.UNAVAILABLE : RETRY_AFTER_S.busy));
        if (!bodyRead) void reply.header('connection', 'close');
        const status = failure.code === 'TIMEOUT' && failure.detail.stage === 'upload' ? 408 : (STATUS[failure.code] ?? 500);
        await reply.code(status).send({ error: body });
      }
    } finally {
      releaseAddress?.();
      this.#bytesInFlight -= claimed;
      this.#controllers.delete(controller);
      if (send) reply.raw.end();
      if (!bodyRead) closeAfterAnswer(req, reply);
    }
  }
}

/** The page's language: `?lang=`, else the browser's Accept-Language. */
export function langOf(req: FastifyRequest): Lang {
  const query = req.query as Record<string, unknown> | undefined;
  return pickLang(typeof query?.lang === 'string' ? query.lang : req.headers['accept-language']);
}

function acceptsEvents(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

/** Starts the event stream; returns how to write to it. */
function openEvents(reply: FastifyReply): Send {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  const beat = setInterval(() => res.write(': still here\n\n'), HEARTBEAT_MS);
  res.on('close', () => clearInterval(beat));
  return (event, data) => {
    if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}

/** A result without its image: what the page shows next to it. */
function describe(result: CartoonResult, totalMs: number): StudioResult {
  return {
    mime: result.mime,
    format: result.format,
    width: result.width,
    height: result.height,
    style: result.model,
    options: result.options,
    timings: { queueMs: result.timings.queued, processingMs: Math.round(processingMs(result) * 10) / 10, totalMs: Math.round(totalMs) },
    ...(result.portrait ? { faces: { count: result.portrait.faces, noFace: result.portrait.noFace, boxes: result.portrait.boxes ?? [] } } : {}),
  };
}

async function sendImage(reply: FastifyReply, result: CartoonResult, totalMs: number): Promise<void> {
  const d = describe(result, totalMs);
  await reply
    .header('server-timing', `queue;dur=${d.timings.queueMs}, processing;dur=${d.timings.processingMs}, total;dur=${d.timings.totalMs}`)
    .header('content-disposition', `inline; filename="cartoon.${extensionOf(result.format)}"`)
    .header('cache-control', 'no-store')
    .type(result.mime)
    .send(result.image);
}
