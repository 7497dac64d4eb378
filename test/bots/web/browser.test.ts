/**
 * The studio in a real browser: headless Chromium (Debian's `chromium`; CHROMIUM_PATH overrides)
 * driven by puppeteer-core loads the page, uploads a fixture, moves the strength slider, waits for
 * the cartoon, and checks the picture, the timings and the Chinese page. Screenshots are saved
 * under test-artifacts/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, silentLogger, type Engine } from '../../../src/engine/index.ts';
import { startWebServer, type WebServer } from '../../../src/bots/web/server.ts';
import type { StudioResult } from '../../../src/bots/web/wire.ts';
import { clipOf, fixture, FIXTURES } from '../../helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p): p is string => Boolean(p && existsSync(p)));

// The page's side of the callbacks below runs in Chromium; the project is typed for Node (no DOM
// lib), so the page's globals are declared loosely here.
type Dom = any;
declare const document: Dom;
declare const navigator: Dom;
declare function getComputedStyle(element: Dom): { display: string };

let engine: Engine;
let server: WebServer;
let browser: Browser;

beforeAll(async () => {
  if (!CHROMIUM) throw new Error("No Chromium found: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH.");
  engine = await createEngine();
  server = await startWebServer(engine, { host: '127.0.0.1', port: 0, log: silentLogger });
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  await mkdir(ARTIFACTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await engine?.close();
});

/** A page whose browser says it speaks `lang`. */
async function open(lang: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 860 });
  await page.setExtraHTTPHeaders({ 'accept-language': lang });
  await page.evaluateOnNewDocument((l: string) => {
    Object.defineProperty(navigator, 'language', { get: () => l });
    Object.defineProperty(navigator, 'languages', { get: () => [l] });
  }, lang);
  // Only so that the test can read the result back through its blob: URL (the page never fetches one).
  await page.setBypassCSP(true);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  (page as Page & { problems: string[] }).problems = problems;
  await page.goto(server.url, { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelector('#style').options.length > 0);
  return page;
}

async function choose(page: Page, file: string): Promise<void> {
  const input = await page.$('#file');
  await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(file);
  await page.waitForFunction(() => !document.querySelector('#go').disabled);
}

/** The result's bytes, read back through the page's download link. */
async function downloaded(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(async () => {
    const blob = await (await fetch(document.querySelector('#download').href)).blob();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
  });
  return Buffer.from(base64, 'base64');
}

describe('web studio in Chromium', () => {
  it('uploads a photo, takes the slider and resolution, and shows the cartoon with its timings', async () => {
    const page = await open('en-US');
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('ToonBot studio');
    expect(await page.$eval('#style-about', (e) => e.textContent)).toContain('licence: Apache-2.0');
    await choose(page, path.join(FIXTURES, 'astronaut.png'));
    // The slider moves by keyboard, as a user would: 0.70 -> 0.80.
    await page.focus('#strength');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.$eval('#strength-value', (e) => e.textContent)).toBe('0.80');
    await page.select('#resolution', '512');
    await page.click('#go');
    await page.waitForSelector('#result:not([hidden])', { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelector('#after').naturalWidth > 0);
    expect(await page.$eval('#timings', (e) => e.textContent)).toMatch(/^queue \d+\.\d s · processing \d+\.\d s · total \d+\.\d s$/);
    // What the server says it used: the slider's strength and the chosen resolution.
    expect(await page.$eval('#meta', (e) => e.textContent)).toBe('Toon · Strength 0.80 · 512×512 · PNG');
    expect(await page.$eval('#error', (e) => (e as Dom).hidden)).toBe(true);

    // The picture: a 512 px PNG that is not the photo.
    const result = await downloaded(page);
    const meta = await sharp(result).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 512, 512]);
    const a = await sharp(result).removeAlpha().raw().toBuffer();
    const b = await sharp(path.join(FIXTURES, 'astronaut.png')).resize(512, 512).removeAlpha().raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs((a[i] as number) - (b[i] as number));
    expect(diff / a.length).toBeGreaterThan(6);
    expect(await page.$eval('#download', (e) => (e as Dom).download)).toBe('astronaut-cartoon.png');

    // The before/after slider reveals the photo on the left.
    await page.$eval('#split', (e) => {
      (e as Dom).value = '30';
      e.dispatchEvent(new Event('input'));
    });
    expect(await page.$eval('#before-clip', (e) => (e as Dom).style.clipPath)).toBe('inset(0px 70% 0px 0px)');
    // Kept in this browser's recent strip.
    await page.waitForSelector('#recent button img');
    await page.screenshot({ path: path.join(ARTIFACTS, 'studio-en.png'), fullPage: true });
    expect((page as Page & { problems: string[] }).problems).toEqual([]);
    await page.close();
  });

  it('uploads a short video: the video is its own "before", the cartoon comes back as an animated GIF', async () => {
    const page = await open('en-US');
    const frame = await sharp(fixture('coffee.png')).resize(160, 120, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const file = path.join(ARTIFACTS, 'clip-upload.mp4');
    await writeFile(file, await clipOf([frame, frame, frame], 160, 120));
    await choose(page, file);
    expect(await page.$eval('#preview-video', (e) => !(e as Dom).hidden && (e as Dom).src.startsWith('blob:'))).toBe(true);
    expect(await page.$eval('#preview', (e) => (e as Dom).hidden)).toBe(true);
    await page.click('#go');
    await page.waitForSelector('#result:not([hidden])', { timeout: 20_000 });
    expect(await page.$eval('#meta', (e) => e.textContent)).toMatch(/ · GIF$/);
    expect(await page.$eval('#before-video', (e) => !(e as Dom).hidden && (e as Dom).src.startsWith('blob:'))).toBe(true);
    expect(await page.$eval('#before', (e) => (e as Dom).hidden)).toBe(true);
    const gif = await sharp(await downloaded(page)).metadata();
    expect([gif.format, gif.pages]).toEqual(['gif', 3]);
    await page.close();
  });

  it('a Cancel button takes a waiting photo out of the line: the page says so, and the model never sees it', async () => {
    const page = await open('en-US');
    await choose(page, path.join(FIXTURES, 'coffee.png'));
    // Someone else's large photo holds the model, so the page's photo waits.
    const before = engine.stats().done;
    const image = await readFile(path.join(FIXTURES, 'astronaut.png'));
    const other = Promise.all([1, 2].map((i) => engine.submit({ image, options: { resolution: 2048 }, requester: `someone-${i}` })));
    expect(await page.$eval('#cancel', (e) => (e as Dom).hidden)).toBe(true);
    await page.click('#go');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === '#2 in line…');
    await page.click('#cancel');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'Cancelled.');
    expect(await page.$eval('#cancel', (e) => (e as Dom).hidden)).toBe(true);
    expect(await page.$eval('#error', (e) => (e as Dom).hidden)).toBe(true);
    expect(await page.$eval('#result', (e) => (e as Dom).hidden)).toBe(true);
    await other;
    // Only the others' photos were done; the cancelled one left the line.
    await new Promise((r) => setTimeout(r, 200));
    expect(engine.stats()).toMatchObject({ done: before + 2, waiting: 0, running: 0 });
    expect(await page.$eval('#go', (e) => (e as Dom).disabled)).toBe(false);
    expect((page as Page & { problems: string[] }).problems).toEqual([]);
    await page.close();
  });

  it('speaks Chinese to a Chinese browser: labels, the faces found, and errors', async () => {
    const page = await open('zh-CN');
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('ToonBot 工作室');
    expect(await page.$eval('#go', (e) => e.textContent)).toBe('卡通化');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    // Every look finds faces, so the faces toggle is offered with any of them.
    const shown = (selector: string) => page.$eval(selector, (e) => getComputedStyle(e as Dom).display !== 'none');
    expect(await shown('#faces-field')).toBe(true);
    await page.select('#style', 'manga');
    expect(await shown('#faces-field')).toBe(true);
    await page.click('#faces');
    await page.select('#resolution', '512');
    await choose(page, path.join(FIXTURES, 'astronaut.png'));
    await page.click('#go');
    await page.waitForSelector('#result:not([hidden])', { timeout: 20_000 });
    expect(await page.$eval('#timings', (e) => e.textContent)).toMatch(/^排队 \d+\.\d s · 处理 \d+\.\d s · 总计 \d+\.\d s/);
    expect(await page.$eval('#note', (e) => e.textContent)).toBe('1 张人脸');
    expect(await page.$$eval('#overlay rect', (r) => r.length)).toBe(1);
    // BlazeFace's six keypoints, drawn where they are (inside the box), not at "undefined".
    const dots = await page.$$eval('#overlay circle', (c) => c.map((d) => [Number(d.getAttribute('cx')), Number(d.getAttribute('cy'))] as [number, number]));
    expect(dots).toHaveLength(6);
    // Where the API puts them: the same photo and options through POST /api/cartoon.
    const form = new FormData();
    for (const [k, v] of Object.entries({ style: 'manga', resolution: '512', faces: '1' })) form.append(k, v);
    form.append('photo', new Blob([fixture('astronaut.png')]), 'astronaut.png');
    const events = await (await fetch(`${server.url}api/cartoon`, { method: 'POST', body: form, headers: { accept: 'text/event-stream' } })).text();
    const api = JSON.parse(/^event: result\ndata: (.*)$/m.exec(events)?.[1] ?? 'null') as StudioResult;
    const keypoints = api.faces?.boxes.flatMap((b) => b.keypoints) ?? [];
    expect(keypoints).toHaveLength(6);
    expect(dots).toEqual(keypoints);
    const [box] = api.faces?.boxes ?? [];
    for (const [x, y] of dots) expect(x > (box?.x ?? 0) && x < (box?.x ?? 0) + (box?.width ?? 0) && y > (box?.y ?? 0) && y < (box?.y ?? 0) + (box?.height ?? 0)).toBe(true);
    expect(await page.$eval('#overlay', (e) => (e as Dom).hasAttribute('hidden'))).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'studio-zh.png'), fullPage: true });

    // Not an image: the bots' words, in Chinese, on the page.
    await choose(page, path.join(ROOT, 'package.json'));
    await page.click('#go');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.$eval('#error', (e) => e.textContent)).toContain('这不是我能读取的图片');
    await page.close();
  });
});
