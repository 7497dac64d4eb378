/**
 * A local stand-in for Discord on 127.0.0.1: the REST routes the bot uses (interaction callbacks,
 * webhook edits with multipart files, command registration, /gateway/bot), a gateway WebSocket
 * (HELLO, IDENTIFY, READY, heartbeats, DISPATCH) and a CDN serving attachments.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export const APP_ID = '1100000000000000001';
export const BOT_USER = { id: '1100000000000000002', username: 'ToonBot', discriminator: '0', global_name: null, avatar: null, bot: true };

export interface RestCall {
  method: string;
  path: string;
  body: Record<string, unknown> | unknown[] | null;
  files: { field: string; name: string; type: string; data: Buffer }[];
  at: number;
}

export class FakeDiscord {
  readonly calls: RestCall[] = [];
  readonly #cdn = new Map<string, Buffer>();
  readonly #originals = new Map<string, string>();
  readonly #sockets = new Set<WebSocket>();
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #seq = 0;
  #nextId = 1200000000000000000n;
  base = '';

  get apiRoot(): string {
    return `${this.base}/api`;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
    });
    this.#wss = new WebSocketServer({ server: this.#server });
    this.#wss.on('connection', (socket) => this.#gateway(socket));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.terminate();
    this.#wss?.close();
    await new Promise<void>((resolve) => {
      this.#server?.closeAllConnections();
      this.#server?.close(() => resolve());
    });
  }

  /** Serves `data` as a CDN attachment and returns its URL. */
  attachment(name: string, data: Buffer): string {
    this.#cdn.set(`/attachments/${name}`, data);
    return `${this.base}/attachments/${name}`;
  }

  /** Sends a gateway DISPATCH to every connected client. */
  dispatch(type: string, data: unknown): void {
    this.#seq += 1;
    for (const s of this.#sockets) s.send(JSON.stringify({ op: 0, t: type, s: this.#seq, d: data }));
  }

  id(): string {
    this.#nextId += 1n;
    return this.#nextId.toString();
  }

  /** The message id Discord would give an interaction's original response. */
  originalId(token: string): string {
    let id = this.#originals.get(token);
    if (!id) {
      id = this.id();
      this.#originals.set(token, id);
    }
    return id;
  }

  callsFor(token: string): RestCall[] {
    return this.calls.filter((c) => c.path.includes(`/${token}/`) || c.path.endsWith(`/${token}`));
  }

  async waitFor(predicate: (call: RestCall) => boolean, timeoutMs = 15_000): Promise<RestCall> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.calls.find(predicate);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no matching REST call within ${timeoutMs} ms; calls: ${this.calls.map((c) => `${c.method} ${c.path}`).join(', ')}`);
  }

  #gateway(socket: WebSocket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
    socket.on('message', (raw) => {
      const packet = JSON.parse((raw as Buffer).toString()) as { op: number; d: unknown };
      if (packet.op === 1) socket.send(JSON.stringify({ op: 11 }));
      if (packet.op === 2) {
        this.#seq += 1;
        socket.send(
          JSON.stringify({
            op: 0,
            t: 'READY',
            s: this.#seq,
            d: {
              v: 10,
              user: BOT_USER,
              guilds: [],
              session_id: 'fake-session',
              resume_gateway_url: this.base.replace('http', 'ws'),
              shard: [0, 1],
              application: { id: APP_ID, flags: 0 },
            },
          }),
        );
      }
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const { body, files } = await parseBody(req.headers['content-type'] ?? '', raw);
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    this.calls.push({ method, path, body, files, at: Date.now() });

    if (method === 'GET' && this.#cdn.has(path)) {
      const data = this.#cdn.get(path) as Buffer;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
      return void res.end(data);
    }
    if (method === 'GET' && path === '/api/v10/gateway/bot') {
      return json(res, { url: this.base.replace('http', 'ws'), shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } });
    }
    if (method === 'POST' && /^\/api\/v10\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      // Discord answers 204 with no content type; discord.js would try to parse anything else.
      res.writeHead(204);
      return void res.end();
    }
    const original = /^\/api\/v10\/webhooks\/\d+\/([^/]+)\/messages\/@original$/.exec(path);
    if (original && method === 'PATCH') return json(res, this.#message(this.originalId(original[1] as string), body, files));
    if (original && method === 'DELETE') {
      res.writeHead(204);
      return void res.end();
    }
    if (method === 'POST' && /^\/api\/v10\/webhooks\/\d+\/[^/]+$/.test(path)) return json(res, this.#message(this.id(), body, files));
    if (method === 'PUT' && /^\/api\/v10\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      return json(
        res,
        (body as Record<string, unknown>[]).map((c) => ({ id: this.id(), application_id: APP_ID, version: '1', ...c })),
      );
    }
    json(res, { message: '404: Not Found', code: 0 }, 404);
  }

  #message(id: string, body: unknown, files: RestCall['files']): Record<string, unknown> {
    const payload = (body ?? {}) as Record<string, unknown>;
    return {
      id,
      type: 20,
      channel_id: '2200000000000000001',
      author: BOT_USER,
      content: payload.content ?? '',
      embeds: payload.embeds ?? [],
      components: payload.components ?? [],
      attachments: files.map((f, i) => ({ id: String(i), filename: f.name, size: f.data.length, url: `${this.base}/attachments/out-${i}`, proxy_url: '', content_type: f.type })),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      flags: payload.flags ?? 0,
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      application_id: APP_ID,
      webhook_id: APP_ID,
    };
  }
}

function json(res: ServerResponse, payload: unknown, status = 200): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function parseBody(contentType: string, raw: Buffer): Promise<{ body: RestCall['body']; files: RestCall['files'] }> {
  if (raw.length === 0) return { body: null, files: [] };
  if (contentType.startsWith('application/json')) return { body: JSON.parse(raw.toString('utf8')) as RestCall['body'], files: [] };
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    let body: RestCall['body'] = null;
    const files: RestCall['files'] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') body = JSON.parse(value) as RestCall['body'];
      } else {
        files.push({ field, name: value.name, type: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
    }
    return { body, files };
  }
  return { body: null, files: [] };
}
