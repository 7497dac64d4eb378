/**
 * A local stand-in for the Telegram Bot API on 127.0.0.1: it speaks the methods the bot uses
 * (JSON and multipart, like the real one), serves files under /file/bot<token>/, hands out
 * queued updates through getUpdates, records every call, and can be told to fail a method with
 * an error such as 429 or 403. Like the real server it refuses photos outside Telegram's photo
 * rules (sides summing over 10,000 px, or an aspect ratio over 20), answers getChatMember from a
 * table of members, and in `--local` mode hands out absolute paths of files on disk.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';

export interface UploadedFile {
  name: string;
  type: string;
  data: Buffer;
}

export interface Call {
  method: string;
  params: Record<string, unknown>;
  files: Record<string, UploadedFile>;
}

interface ApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number };
}

export const BOT = { id: 4242, is_bot: true, first_name: 'ToonBot', username: 'toon_test_bot' };

export class FakeBotApi {
  readonly token: string;
  readonly calls: Call[] = [];
  #updates: Record<string, unknown>[] = [];
  readonly #files = new Map<string, { path: string; data: Buffer; size: number }>();
  readonly #failures = new Map<string, ApiError[]>();
  #server: Server | undefined;
  #nextUpdate = 1;
  #nextMessage = 5000;
  #wake: (() => void) | undefined;
  apiRoot = '';
  /** File paths served over HTTP, in order (to see what was downloaded). */
  readonly downloads: string[] = [];
  /** chat:user -> status for getChatMember ('member' when absent). */
  readonly members = new Map<string, string>();
  /** Set to a folder to act as a server run with --local: getFile returns absolute paths there. */
  localDir: string | undefined;
  /** Files served one byte a second (a stalled download). */
  readonly stalled = new Set<string>();
  /**
   * sendPhoto calls beyond this many are held: not recorded and not answered, as if Telegram had
   * not taken them yet, until {@link releasePhotos}; a held call whose client is gone by then is
   * dropped. (A test can then kill the bot knowing which replies reached "Telegram".)
   */
  holdPhotosAfter = Infinity;
  #released: (() => void)[] = [];
  /** The held calls' connections not closed yet. */
  readonly #heldOpen = new Set<Promise<'gone'>>();

  constructor(token = '123456:TEST-token-not-real') {
    this.token = token;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.apiRoot = `http://127.0.0.1:${port}`;
    return this.apiRoot;
  }

  async stop(): Promise<void> {
    this.#wake?.();
    await new Promise<void>((resolve) => {
      this.#server?.closeAllConnections();
      this.#server?.close(() => resolve());
    });
  }

  /** Makes a file downloadable; `size` is what getFile reports (defaults to the real size). */
  addFile(fileId: string, data: Buffer, size = data.length): void {
    this.#files.set(fileId, { path: `photos/${fileId}.bin`, data, size });
  }

  /** Queues an update; update_id is filled in. */
  push(update: Record<string, unknown>): void {
    this.#updates.push({ update_id: this.#nextUpdate++, ...update });
    this.#wake?.();
  }

  /** The next `times` calls of `method` fail with `error`. */
  fail(method: string, error: ApiError, times = 1): void {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), ...Array.from({ length: times }, () => error)]);
  }

  /**
   * Resolves once every held call's connection has closed (its client killed), within
   * `timeoutMs`: a client's death reaches this server as a socket event, a moment later, and a
   * held call released before it is seen would be taken as delivered.
   * @returns whether they all closed in time
   */
  async heldClosed(timeoutMs = 10_000): Promise<boolean> {
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([Promise.all([...this.#heldOpen]).then(() => true), timeout]);
  }

  /** Lets the held sendPhoto calls through, and holds no more. */
  releasePhotos(): void {
    this.holdPhotosAfter = Infinity;
    for (const resolve of this.#released.splice(0)) resolve();
  }

  callsTo(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the first recorded call that matches, polling for at most `timeoutMs`. */
  async waitFor(predicate: (call: Call) => boolean, timeoutMs = 15_000): Promise<Call> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.calls.find(predicate);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no matching call within ${timeoutMs} ms; calls: ${this.calls.map((c) => c.method).join(', ')}`);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.apiRoot);
    const filePrefix = `/file/bot${this.token}/`;
    if (req.method === 'GET' && url.pathname.startsWith(filePrefix)) {
      const path = url.pathname.slice(filePrefix.length);
      const file = [...this.#files.values()].find((f) => f.path === path);
      if (!file) return void res.writeHead(404).end();
      this.downloads.push(path);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.data.length });
      if ([...this.stalled].some((id) => file === this.#files.get(id))) {
        const timer = setInterval(() => res.write(file.data.subarray(0, 1)), 1000);
        res.on('close', () => clearInterval(timer));
        return;
      }
      return void res.end(file.data);
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!match) return void res.writeHead(404).end();
    const [, token, method] = match as unknown as [string, string, string];
    if (token !== this.token) return this.#send(res, { ok: false, error_code: 401, description: 'Unauthorized' }, 401);

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { params, files } = await parseBody(req.headers['content-type'] ?? '', body);
    if (method === 'sendPhoto' && this.callsTo('sendPhoto').length >= this.holdPhotosAfter) {
      const released = new Promise<'released'>((resolve) => this.#released.push(() => resolve('released')));
      const gone = new Promise<'gone'>((resolve) => req.socket.once('close', () => resolve('gone')));
      this.#heldOpen.add(gone);
      const outcome = await Promise.race([released, gone]);
      this.#heldOpen.delete(gone);
      if (outcome === 'gone' || res.destroyed) return;
    }
    // A photo whose sender is already gone (killed while this server read it) is not taken: a
    // test that kills the bot then knows which replies reached "Telegram".
    if (method === 'sendPhoto' && req.socket.destroyed) return;
    if (method !== 'getUpdates') this.calls.push({ method, params, files });

    const failure = this.#failures.get(method)?.shift();
    if (failure) return this.#send(res, { ok: false, ...failure }, failure.error_code);
    try {
      this.#send(res, { ok: true, result: await this.#result(method, params, files) });
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      this.#send(res, { ok: false, ...error.payload }, error.payload.error_code);
    }
  }

  async #result(method: string, params: Record<string, unknown>, files: Record<string, UploadedFile>): Promise<unknown> {
    const chat = { id: Number(params.chat_id), type: Number(params.chat_id) < 0 ? 'supergroup' : 'private' };
    const message = (extra: Record<string, unknown> = {}) => ({ message_id: this.#nextMessage++, date: Math.floor(Date.now() / 1000), chat, from: BOT, ...extra });
    switch (method) {
      case 'getMe':
        return BOT;
      case 'getUpdates': {
        const offset = Number(params.offset ?? 0);
        // As Telegram does: an offset confirms every update before it, which is then forgotten
        // (a restarted bot does not get them again).
        if (offset > 0) this.#updates = this.#updates.filter((u) => (u.update_id as number) >= offset);
        let ready = this.#updates.filter((u) => (u.update_id as number) >= offset);
        if (ready.length === 0) {
          // A short hold instead of Telegram's 50 s, so that stopping is quick.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 100);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          ready = this.#updates.filter((u) => (u.update_id as number) >= offset);
        }
        return ready;
      }
      case 'getFile': {
        const file = this.#files.get(String(params.file_id));
        if (!file) throw new Error(`unknown file ${String(params.file_id)}`);
        let filePath = file.path;
        if (this.localDir) {
          filePath = path.join(this.localDir, path.basename(file.path));
          await writeFile(filePath, file.data);
        }
        return { file_id: params.file_id, file_unique_id: `u-${String(params.file_id)}`, file_size: file.size, file_path: filePath };
      }
      case 'getChatMember':
        return { status: this.members.get(`${String(params.chat_id)}:${String(params.user_id)}`) ?? 'member', user: { id: Number(params.user_id), is_bot: false, first_name: 'Someone' } };
      case 'sendPhoto': {
        const photo = files.photo ? await sharp(files.photo.data).metadata() : undefined;
        if (photo?.width && photo.height && (photo.width + photo.height > 10_000 || Math.max(photo.width / photo.height, photo.height / photo.width) > 20)) {
          throw new ApiFailure({ error_code: 400, description: 'Bad Request: PHOTO_INVALID_DIMENSIONS' });
        }
        return message({ photo: [{ file_id: 'sent', file_unique_id: 'sent', width: 1, height: 1 }], caption: params.caption });
      }
      case 'sendDocument':
        return message({ document: { file_id: 'sent', file_unique_id: 'sent', file_name: files.document?.name }, caption: params.caption });
      case 'sendAnimation':
      case 'sendVideo': {
        // As Telegram: the upload must be a video it can play (an MP4 here).
        const field = method === 'sendAnimation' ? 'animation' : 'video';
        const upload = files[field];
        if (!upload || upload.data.subarray(4, 8).toString('latin1') !== 'ftyp') throw new ApiFailure({ error_code: 400, description: 'Bad Request: wrong file type' });
        return message({ [field]: { file_id: 'sent', file_unique_id: 'sent', width: 1, height: 1, duration: 1 }, caption: params.caption });
      }
      case 'sendVideoNote': {
        // A video note is square, at most 640 px a side, and has no caption.
        const upload = files.video_note;
        if (!upload || upload.data.subarray(4, 8).toString('latin1') !== 'ftyp') throw new ApiFailure({ error_code: 400, description: 'Bad Request: wrong file type' });
        if (params.caption !== undefined || Number(params.length ?? 0) > 640) throw new ApiFailure({ error_code: 400, description: 'Bad Request: VIDEO_NOTE invalid' });
        return message({ video_note: { file_id: 'sent', file_unique_id: 'sent', length: Number(params.length), duration: 1 } });
      }
      case 'sendMediaGroup':
        return (params.media as unknown[]).map(() => message());
      case 'sendMessage':
        return message({ text: params.text });
      case 'editMessageText':
        return message({ message_id: params.message_id, text: params.text });
      default:
        // deleteMessage, sendChatAction, answerCallbackQuery, deleteWebhook, setMyCommands...
        return true;
    }
  }

  #send(res: ServerResponse, payload: unknown, status = 200): void {
    const json = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
}

class ApiFailure extends Error {
  constructor(readonly payload: ApiError) {
    super(payload.description);
  }
}

/** JSON or multipart, as telegraf sends them; JSON-looking multipart fields are parsed. */
async function parseBody(contentType: string, body: Buffer): Promise<{ params: Record<string, unknown>; files: Record<string, UploadedFile> }> {
  const params: Record<string, unknown> = {};
  const files: Record<string, UploadedFile> = {};
  if (body.length === 0) return { params, files };
  if (contentType.startsWith('application/json')) return { params: JSON.parse(body.toString('utf8')) as Record<string, unknown>, files };
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') {
        params[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
      } else {
        files[key] = { name: value.name, type: value.type, data: Buffer.from(await value.arrayBuffer()) };
      }
    }
  }
  return { params, files };
}
