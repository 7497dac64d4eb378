/**
 * The web studio's HTTP API against the real engine: uploads, options, errors in the users'
 * words, the place in line as server-sent events, limits, the guard (password, Host, Origin) and
 * the health routes it serves for the process.
 */
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, silentLogger, type Engine, type Logger } from '../../../src/engine/index.ts';
import { startWebServer, type WebServer } from '../../../src/bots/web/server.ts';
import { Metrics } from '../../../src/observe/metrics.ts';
import type { Readiness } from '../../../src/observe/server.ts';
import { clipOf, fixture, pngHeaderClaiming, solid } from '../../helpers.ts';

let engine: Engine;
let metrics: Metrics;
const readiness: Readiness = { state: 'ready', bots: ['web'], providers: ['cpu'] };
let server: WebServer | undefined;
const extra: Engine[] = [];

beforeAll(async () => {
  metrics = new Metrics();
  engine = await createEngine({ onJob: metrics.observe, queue: { perRequester: 2 } });
  metrics.watch(engine);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await engine.close();
  await Promise.all(extra.map((e) => e.close()));
});

async function start(options: { password?: string; engine?: Engine; log?: Logger; uploadIdleMs?: number; perAddress?: number } = {}): Promise<WebServer> {
  const { engine: own, log, ...rest } = options;
  server = await startWebServer(own ?? engine, { host: '127.0.0.1', port: 0, log: log ?? silentLogger, health: { metrics, readiness: () => readiness }, ...rest });
  return server;
}

/** A browser's id cookie, as the page hands it out (signed by the server). */
async function browser(s: WebServer): Promise<{ cookie: string }> {
  const res = await fetch(s.url);
  await res.text();
  const cookie = /^(toonbot_browser=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no browser cookie');
  return { cookie };
}

function form(photo: Buffer | undefined, fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  if (photo) body.append('photo', new Blob([new Uint8Array(photo)]), 'photo.png');
  return body;
}

interface Events {
  events: { event: string; data: Record<string, unknown> }[];
  status: number;
  headers: Headers;
}

/** Posts with Accept: text/event-stream and reads every event until the stream ends. */
async function postEvents(s: WebServer, body: FormData, headers: Record<string, string> = {}, path = '/api/cartoon'): Promise<Events> {
  const res = await fetch(new URL(path, s.url), { method: 'POST', body, headers: { accept: 'text/event-stream', ...headers } });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message', data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as Record<string, unknown> }));
  return { events, status: res.status, headers: res.headers };
}

describe('web studio: the page and its API', () => {
  it('serves the page with security headers, a browser id cookie, and its script', async () => {
    const s = await start();
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/studio/app.js">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('set-cookie')).toMatch(/^toonbot_browser=[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const script = await fetch(new URL('/studio/app.js', s.url));
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(new URL('/studio/../server.ts', s.url))).status).toBe(404);
  });

  it('describes styles with their licences, the options and limits, in the asked language', async () => {
    const s = await start();
    const en = (await (await fetch(new URL('/api/info', s.url), { headers: { 'accept-language': 'en-GB,en;q=0.9' } })).json()) as Record<string, any>;
    expect(en.lang).toBe('en');
    // Every look draws faces; the old toon-portrait is an alias of toon, not a style of its own.
    expect(en.styles).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'toon', license: 'Apache-2.0', portrait: true, aliases: ['toon-portrait'] }), expect.objectContaining({ id: 'manga', portrait: true })]),
    );
    expect(en.styles.map((st: { id: string }) => st.id)).not.toContain('toon-portrait');
    expect(en.defaults).toEqual({ style: 'toon', strength: 0.7, resolution: 1024, format: 'png' });
    expect(en.limits).toMatchObject({ strength: { min: 0, max: 1 }, resolution: { min: 256, max: 2048 }, formats: ['png', 'jpeg', 'webp'], maxMegapixels: 40 });
    expect(en.texts.go).toBe('Cartoonise');
    expect(en.messages.tooLarge).toContain('at most 52 MB');
    const zh = (await (await fetch(new URL('/api/info?lang=zh-CN', s.url))).json()) as Record<string, any>;
    expect(zh.lang).toBe('zh');
    expect(zh.texts.go).toBe('卡通化');
    // Style descriptions too, where the manifest has the language.
    expect(zh.styles.find((st: { id: string }) => st.id === 'toon').description).toContain('平涂色块');
    expect(en.styles.find((st: { id: string }) => st.id === 'toon').description).toContain('Flat colours');
  });

  it('cartoonises an upload with the options given, and answers plain clients with the image and Server-Timing', async () => {
    const s = await start();
    const res = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('astronaut.png'), { strength: '0.9', resolution: '384', format: 'webp' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('server-timing')).toMatch(/^queue;dur=[\d.]+, processing;dur=[\d.]+, total;dur=\d+$/);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 384, 384]);
  });

  it("answers an uploaded clip (an MP4) with an animated GIF, its frames counted in the page's stream", async () => {
    const s = await start();
    const frame = await sharp(fixture('coffee.png')).resize(160, 120, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const res = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(await clipOf([frame, frame, frame], 160, 120)) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('content-disposition')).toContain('cartoon.gif');
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).pages).toBe(3);
    // The page's stream counts the frames as they are drawn.
    const { events } = await postEvents(s, form(await clipOf([frame, frame, frame], 160, 120)));
    expect(events.filter((e) => e.event === 'progress').map((e) => e.data)).toEqual([1, 2, 3].map((frame) => ({ frame, frames: 3 })));
    expect(events.at(-1)?.event).toBe('result');
  });

  it('streams the place in line while waiting, then the result with its timings', async () => {
    const s = await start();
    // A big job from someone else is on the accelerator: the page's photo waits behind it.
    const ahead = engine.submit({ image: fixture('chelsea.png'), options: { resolution: 2048 }, requester: 'telegram:1' });
    const { status, events, headers } = await postEvents(s, form(fixture('astronaut.png'), { resolution: '256' }));
    await ahead;
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    const positions = events.filter((e) => e.event === 'position').map((e) => e.data.position);
    expect(positions).toEqual([1, 0]);
    const result = events.at(-1);
    expect(result?.event).toBe('result');
    const data = result?.data as { image: string; width: number; height: number; mime: string; timings: { queueMs: number; processingMs: number; totalMs: number } };
    expect([data.width, data.height, data.mime]).toEqual([256, 256, 'image/png']);
    expect(data.timings.queueMs).toBeGreaterThan(0);
    expect(data.timings.totalMs).toBeGreaterThanOrEqual(data.timings.queueMs + data.timings.processingMs - 1);
    expect((await sharp(Buffer.from(data.image, 'base64')).metadata()).width).toBe(256);
  });

  it('returns the faces found when asked', async () => {
    const s = await start();
    const { events } = await postEvents(s, form(fixture('astronaut.png'), { style: 'comic', resolution: '512', faces: '1' }));
    const result = events.find((e) => e.event === 'result')?.data as { faces: { count: number; noFace: boolean; boxes: { x: number; width: number }[] } };
    expect(result.faces.count).toBe(1);
    expect(result.faces.noFace).toBe(false);
    expect(result.faces.boxes[0]?.width).toBeGreaterThan(50);
  });

  it("answers bad input with the bots' friendly words, in the page's language, and a fitting status", async () => {
    const s = await start();
    const post = async (body: FormData, lang = 'en') => {
      const res = await fetch(new URL(`/api/cartoon?lang=${lang}`, s.url), { method: 'POST', body });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    };
    const notImage = await post(form(Buffer.from('{"not": "an image"}')));
    expect(notImage).toEqual({ status: 415, body: { error: { code: 'UNSUPPORTED_IMAGE', message: expect.stringContaining('not an image I can read') } } });
    const badStrength = await post(form(fixture('astronaut.png'), { strength: '3' }));
    expect(badStrength.status).toBe(400);
    expect(badStrength.body.error.message).toBe('Strength must be a number from 0 to 1, like 0.7.');
    const badStyle = await post(form(fixture('astronaut.png'), { style: 'picasso' }), 'zh');
    expect(badStyle.body.error.message).toContain('manga');
    const huge = await post(form(pngHeaderClaiming(20_000, 20_000)));
    expect(huge).toEqual({ status: 413, body: { error: { code: 'IMAGE_TOO_LARGE', message: expect.stringContaining('40 megapixels') } } });
    const cut = await post(form((await solid(64, 64, [200, 100, 50])).subarray(0, 60)));
    expect(cut.body.error.code).toBe('CORRUPT_IMAGE');
    const nothing = await post(form(undefined, { strength: '0.5' }));
    expect(nothing).toEqual({ status: 400, body: { error: { code: 'NO_PHOTO', message: 'Choose a photo first.' } } });
    const json = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(415);
  });

  it('refuses a file over the byte limit without keeping it', async () => {
    const small = await createEngine({ limits: { maxBytes: 100_000 } });
    extra.push(small);
    const s = await start({ engine: small });
    const res = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('astronaut.png')) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('That file is too large for me (at most 0.1 MB). Try a smaller one.');
    expect(small.stats().reserved + small.stats().waiting).toBe(0);
  });

  it('caps each browser, and refuses when the line is full', async () => {
    const tight = await createEngine({ queue: { maxWaiting: 2, perRequester: 1 } });
    extra.push(tight);
    const s = await start({ engine: tight });
    const ahead = tight.submit({ image: fixture('chelsea.png'), options: { resolution: 2048 }, requester: 'telegram:1' });
    const one = await browser(s);
    const first = postEvents(s, form(fixture('astronaut.png'), { resolution: '256' }), one);
    await waitUntil(() => tight.stats().waiting === 1);
    const second = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('astronaut.png')), headers: one });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('30');
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('USER_BUSY');
    const other = postEvents(s, form(fixture('astronaut.png'), { resolution: '256' }), await browser(s));
    await waitUntil(() => tight.stats().waiting === 2);
    const full = await fetch(new URL('/api/cartoon?lang=zh', s.url), { method: 'POST', body: form(fixture('astronaut.png')), headers: await browser(s) });
    expect(full.status).toBe(503);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('QUEUE_FULL');
    await ahead;
    expect((await first).events.at(-1)?.event).toBe('result');
    expect((await other).events.at(-1)?.event).toBe('result');
  });

  it('takes a job out of the line when the browser goes away', async () => {
    const s = await start();
    const ahead = engine.submit({ image: fixture('chelsea.png'), options: { resolution: 2048 }, requester: 'telegram:1' });
    const gone = new AbortController();
    const request = fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('astronaut.png')), headers: { accept: 'text/event-stream' }, signal: gone.signal });
    await waitUntil(() => engine.stats().waiting === 1);
    const cancelledBefore = engine.stats().cancelled;
    gone.abort();
    await request.catch(() => undefined);
    await waitUntil(() => engine.stats().waiting === 0);
    expect(engine.stats().cancelled).toBe(cancelledBefore + 1);
    await ahead;
  });

  it('asks for the password when one is set, but leaves the health probes open', async () => {
    const s = await start({ password: 'correct horse' });
    expect((await fetch(s.url)).status).toBe(401);
    expect((await fetch(s.url)).headers.get('www-authenticate')).toMatch(/^Basic realm="ToonBot studio"/);
    const wrong = `Basic ${Buffer.from('me:wrong').toString('base64')}`;
    expect((await fetch(s.url, { headers: { authorization: wrong } })).status).toBe(401);
    const right = `Basic ${Buffer.from('anyone:correct horse').toString('base64')}`;
    expect((await fetch(s.url, { headers: { authorization: right } })).status).toBe(200);
    expect((await fetch(new URL('/api/info', s.url), { headers: { authorization: right } })).status).toBe(200);
    expect((await fetch(new URL('/metrics', s.url))).status).toBe(401);
    expect((await fetch(new URL('/healthz', s.url))).status).toBe(200);
    expect((await fetch(new URL('/readyz', s.url))).status).toBe(200);
  });

  it('turns away other sites: a foreign Host (DNS rebinding) and cross-site posts', async () => {
    const s = await start();
    const { request } = await import('node:http');
    const status = (headers: Record<string, string>, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        const req = request(new URL('/api/info', s.url), { method, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status({ host: 'evil.example:8080' })).toBe(421);
    expect(await status({ host: `localhost:${s.port}` })).toBe(200);
    const posted = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('astronaut.png')), headers: { origin: 'https://evil.example' } });
    expect(posted.status).toBe(403);
  });

  it('serves health and metrics for the process, web jobs counted without browser ids', async () => {
    const s = await start();
    const id = await browser(s);
    await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body: form(fixture('coffee.png'), { resolution: '256' }), headers: id });
    expect(await (await fetch(new URL('/readyz', s.url))).json()).toEqual(readiness);
    const text = await (await fetch(new URL('/metrics', s.url))).text();
    expect(text).toMatch(/toonbot_jobs_total\{platform="web",outcome="done"\} \d+/);
    expect(text).not.toContain(id.cookie.split('=')[1]?.slice(0, 16));
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
