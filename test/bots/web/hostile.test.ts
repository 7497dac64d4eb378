/**
 * The studio against a hostile or clumsy client, on loopback with the real server and engine:
 * stalled uploads, invented browser ids, and bad requests answered with the client's 4xx.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../../src/bots/web/server.ts';
import { createEngine, type Engine, type Logger } from '../../../src/engine/index.ts';
import { fixture, rawStatus, stalledUpload } from '../../helpers.ts';

let engine: Engine;
let server: WebServer | undefined;
const lines: { level: string; message: string }[] = [];
const log: Logger = {
  debug: () => undefined,
  info: (message) => void lines.push({ level: 'info', message }),
  warn: (message) => void lines.push({ level: 'warn', message }),
  error: (message) => void lines.push({ level: 'error', message }),
};

beforeAll(async () => {
  engine = await createEngine({ queue: { perRequester: 2, maxWaiting: 64 } });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  lines.length = 0;
});
afterAll(async () => {
  await engine.close();
});

async function start(options: { uploadIdleMs?: number; perAddress?: number; password?: string; uploadBudgetBytes?: number } = {}): Promise<WebServer> {
  server = await startWebServer(engine, { host: '127.0.0.1', port: 0, log, ...options });
  return server;
}

function form(photo: Buffer | undefined, fields: Record<string, string> = {}, photoField = 'photo'): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  if (photo) body.append(photoField, new Blob([new Uint8Array(photo)]), 'photo.png');
  return body;
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the studio against a hostile client', () => {
  it("stalled uploads: they hold no more than one client's places, freed at the idle limit with 408; then a real upload works", async () => {
    const s = await start({ uploadIdleMs: 600, perAddress: 4 });
    const stalled = Array.from({ length: 30 }, () => stalledUpload(s.port));
    // Without a browser id they are one client (the address): the per-user cap's worth (2) gets
    // a place, the rest are refused at once (429).
    await waitUntil(() => engine.stats().reserved === 2);
    const started = performance.now();
    const answers = await Promise.all(stalled);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 408')).length).toBe(2);
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 429')).length).toBe(28);
    expect(answers.find((a) => a.startsWith('HTTP/1.1 408'))).toContain('The upload stopped arriving');
    expect(engine.stats()).toMatchObject({ reserved: 0, waiting: 0 });
    const ok = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('coffee.png'), { resolution: '256' }) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
  });

  it('bytes in flight are bounded: past the upload budget a new upload gets 503 at once, and room comes back', async () => {
    // Each stalled upload declares 1 MB: two fit in 2.5 MB, the third does not.
    const s = await start({ uploadIdleMs: 800, uploadBudgetBytes: 2_500_000 });
    const held = [stalledUpload(s.port), stalledUpload(s.port)];
    await waitUntil(() => engine.stats().reserved === 2);
    const third = stalledUpload(s.port);
    expect(await third).toMatch(/^HTTP\/1.1 503/);
    await Promise.all(held);
    const ok = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('coffee.png'), { resolution: '256' }) });
    expect(ok.status).toBe(200);
  });

  it('invented browser ids count for nothing: 20 cookies from one address get at most the address cap', async () => {
    const s = await start({ perAddress: 4 });
    const ahead = engine.submit({ image: fixture('chelsea.png'), options: { resolution: 2048 }, requester: 'telegram:1' });
    const requests = Array.from({ length: 20 }, (_, i) =>
      fetch(new URL('/api/cartoon', s.url), {
        method: 'POST',
        body: form(fixture('astronaut.png'), { resolution: '256' }),
        headers: { cookie: `toonbot_browser=${String(i).padStart(16, 'a')}.${'b'.repeat(22)}` },
      }),
    );
    const statuses = await Promise.all(requests.map(async (r) => (await r).status));
    await ahead;
    // Without a valid id they all count as the one address: the engine's per-user cap (2).
    expect(statuses.filter((c) => c === 200).length).toBeLessThanOrEqual(2);
    expect(statuses.filter((c) => c === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((c) => c === 429).length).toBeGreaterThanOrEqual(18);
  });

  it('real browser ids each get their own cap, and the address cap bounds them all', async () => {
    const s = await start({ perAddress: 3 });
    const ahead = engine.submit({ image: fixture('chelsea.png'), options: { resolution: 2048 }, requester: 'telegram:1' });
    const ids = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const res = await fetch(s.url);
        await res.text();
        return /^(toonbot_browser=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] as string;
      }),
    );
    expect(new Set(ids).size).toBe(5);
    const statuses = await Promise.all(
      ids.map(async (cookie) => (await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('astronaut.png'), { resolution: '256' }), headers: { cookie } })).status),
    );
    await ahead;
    expect(statuses.filter((c) => c === 200).length).toBe(3);
    expect(statuses.filter((c) => c === 429).length).toBe(2);
  });

  it('bad requests get their 4xx, the JSON error body and no error-level log line', async () => {
    const s = await start();
    const post = (body: string | FormData, headers: Record<string, string> = {}) => fetch(new URL('/api/cartoon', s.url), { method: 'POST', body, headers });
    const error = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

    const json = await post('{"not": json', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect((await error(json)).code).toBeTruthy();

    const twoPhotos = form(fixture('coffee.png'));
    twoPhotos.append('photo', new Blob([new Uint8Array(fixture('chelsea.png'))]), 'b.png');
    const two = await post(twoPhotos);
    expect(two.status).toBe(400);
    expect((await error(two)).message).toBe('Send one photo at a time.');

    const elsewhere = await post(form(fixture('coffee.png'), {}, 'file'));
    expect(elsewhere.status).toBe(400);
    expect((await error(elsewhere)).message).toBe('Send the photo in the form field named "photo".');

    const long = await post(form(fixture('coffee.png'), { style: 'x'.repeat(300) }));
    expect(long.status).toBe(400);
    expect((await error(long)).message).toBe('One of the form fields is too long.');

    // A field named __proto__ is refused as a bad field, not taken for a damaged image.
    const proto = await post(form(fixture('coffee.png'), { ['__proto__']: 'x', resolution: '256' }));
    expect(proto.status).toBe(400);
    expect((await error(proto)).message).toBe('One of the form fields has a name that is not allowed.');

    // A NUL in the URL, and a path that climbs out of the page's folder: the client's fault.
    for (const path of ['/api/info%00', '/studio/../x']) {
      const status = await rawStatus(s.port, path);
      expect(status, path).toBeGreaterThanOrEqual(400);
      expect(status, path).toBeLessThan(500);
    }

    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('password guesses: free for a few, then each wrong one costs a wait (429, Retry-After), logged with the address', async () => {
    const s = await start({ password: 'a long enough password' });
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`me:${password}`).toString('base64')}` });
    for (let i = 0; i < 5; i += 1) expect((await fetch(s.url, { headers: basic(`guess ${i}`) })).status).toBe(401);
    const waiting = await fetch(s.url, { headers: basic('a long enough password') });
    expect(waiting.status).toBe(429);
    expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => l.message === 'studio password wrong')).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(s.url, { headers: basic('a long enough password') })).status).toBe(200);
    // The right one clears the count: the next wrong guess is free again.
    expect((await fetch(s.url, { headers: basic('wrong again') })).status).toBe(401);
    expect((await fetch(s.url, { headers: basic('a long enough password') })).status).toBe(200);
  });
});
