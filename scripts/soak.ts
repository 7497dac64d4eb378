/**
 * `npm run soak`: the real main job (node --import tsx src/main.ts) serving both platforms' local
 * stand-ins, with 50 users (25 on Telegram, 25 on Discord) sending small photos in a closed loop
 * (each waits for its answer, then sends the next) until 1,000 have been sent, at output sizes
 * from 256 to 512 px and a dozen aspect ratios. It checks that
 * every photo got an answer, and that the bot's resident memory at the end is within 20 % of
 * what it was after warming up (the first 100 answers). Prints a JSON summary; exit 1 on a lost
 * answer or memory growth.
 *
 *   npm run soak                 # 1000 jobs
 *   npm run soak -- 3000         # more
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { APP_ID, FakeDiscord } from '../dev/standins/discord/FakeDiscord.ts';
import { slash, type User } from '../dev/standins/discord/payloads.ts';
import { FakeBotApi } from '../dev/standins/telegram/FakeBotApi.ts';
import { photoMessage, privateChat, type Person } from '../dev/standins/telegram/updates.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOTAL = Number(process.argv[2] ?? 1000);
const USERS = 50;
const WARM_AFTER = 100;
const ANSWER_TIMEOUT_MS = 120_000;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-soak-'));
const telegram = new FakeBotApi();
await telegram.start();
const discord = new FakeDiscord();
await discord.start();

// Small photos, a different one per user.
const photos = await Promise.all(
  Array.from({ length: USERS }, (_, i) =>
    sharp({ create: { width: 96 + (i % 7) * 8, height: 64 + (i % 5) * 8, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
      .composite([{ input: Buffer.from(`<svg width="40" height="30"><circle cx="20" cy="15" r="12" fill="#fff"/></svg>`), left: 10, top: 10 }])
      .jpeg()
      .toBuffer(),
  ),
);

const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: ROOT,
  env: {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEGRAM_|DISCORD_|TOONBOT_|LOG_LEVEL)/.test(k))),
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_SETTINGS_PATH: path.join(dir, 'settings.json'),
    TOONBOT_JOURNAL_PATH: path.join(dir, 'journal.log'),
    TOONBOT_ACCESS_PATH: path.join(dir, 'access.json'),
    DISCORD_TOKEN: 'MTEw.fake.soak-token',
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_API_ROOT: discord.apiRoot,
    DISCORD_ATTACHMENT_HOSTS: '127.0.0.1',
    DISCORD_GUILD_MAX_JOBS: String(USERS),
    TOONBOT_MAX_WAITING: String(USERS * 2),
    LOG_LEVEL: 'info',
    // Runtime settings under test pass through (TOONBOT_CPU_ARENA=1 npm run soak, say).
    ...Object.fromEntries(['TOONBOT_CPU_ARENA', 'TOONBOT_THREADS'].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))),
  },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let errorLines = 0;
let stopLine = '';
child.stderr.on('data', (d: Buffer) => {
  const text = d.toString();
  errorLines += (text.match(/"level":50/g) ?? []).length;
  stopLine ||= text.split('\n').find((l) => l.includes('"msg":"stopping"')) ?? '';
});
const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
// Ready once both platforms have been connected to.
const readyBy = Date.now() + 60_000;
while (!(telegram.callsTo('setMyCommands').length > 0 && discord.calls.some((c) => c.path === '/api/v10/gateway/bot')) && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 1000));

let sent = 0;
let answered = 0;
let lost = 0;
const outcomes: Record<string, number> = {};
let warmRss = 0;
const samples: number[] = [];
const sampler = setInterval(() => samples.push(rssOf(child.pid as number)), 1000);
const started = performance.now();

/** Mostly small outputs (the soak is about many jobs), one in eight at 512 px. */
function resolution(n: number): number {
  return n % 8 === 0 ? 512 : 256 + (n % 5) * 16;
}

/** Resolves with the answer's kind when `find` sees it among the calls, polling. */
async function answer(find: () => string | undefined): Promise<string | undefined> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const kind = find();
    if (kind) return kind;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

function record(kind: string | undefined): void {
  if (kind === undefined) lost += 1;
  else {
    answered += 1;
    outcomes[kind] = (outcomes[kind] ?? 0) + 1;
  }
  if (answered === WARM_AFTER) warmRss = rssOf(child.pid as number);
}

async function telegramUser(i: number): Promise<void> {
  const person: Person = { id: 8000 + i, first_name: `T${i}`, language_code: 'en' };
  telegram.addFile(`u${i}-s`, photos[i] as Buffer);
  telegram.addFile(`u${i}-l`, photos[i] as Buffer);
  let seen = 0;
  while (sent < TOTAL) {
    sent += 1;
    telegram.push({ message: photoMessage(privateChat(person), person, { small: `u${i}-s`, large: `u${i}-l` }, { caption: `res=${resolution(sent)}` }) });
    const mine = () =>
      telegram.calls.filter(
        (c) => Number(c.params.chat_id) === person.id && (c.method === 'sendPhoto' || c.method === 'sendDocument' || (c.method === 'sendMessage' && !String(c.params.text).startsWith('Queued'))),
      );
    const kind = await answer(() => {
      const all = mine();
      return all.length > seen ? (all[all.length - 1]?.method === 'sendMessage' ? `telegram refusal: ${String(all[all.length - 1]?.params.text).slice(0, 60)}` : 'telegram cartoon') : undefined;
    });
    seen = mine().length;
    record(kind);
  }
}

async function discordUser(i: number): Promise<void> {
  const user: User = { id: `66000000000000${String(1000 + i)}`, username: `d${i}` };
  const data = photos[i] as Buffer;
  while (sent < TOTAL) {
    sent += 1;
    const url = discord.attachment(`u${i}-${sent}.jpg`, data);
    const interaction = slash(user, { url, size: data.length, contentType: 'image/jpeg', width: 100, height: 70, filename: 'p.jpg' }, { resolution: resolution(sent) });
    discord.dispatch('INTERACTION_CREATE', interaction);
    const kind = await answer(() => {
      const final = discord.calls.find(
        (c) => c.method === 'PATCH' && c.path.includes(`/${interaction.token}/`) && (c.files.length > 0 || String((c.body as { content?: string } | null)?.content ?? '').startsWith('⚠️')),
      );
      if (!final) return undefined;
      return final.files.length > 0 ? 'discord cartoon' : `discord refusal: ${String((final.body as { content: string }).content).slice(0, 60)}`;
    });
    record(kind);
  }
}

await Promise.all(Array.from({ length: USERS }, (_, i) => (i % 2 === 0 ? telegramUser(i) : discordUser(i))));
const seconds = (performance.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 3000));
const endRss = rssOf(child.pid as number);
clearInterval(sampler);
child.kill('SIGTERM');
const exitCode = await exited;
await telegram.stop();
await discord.stop();
await rm(dir, { recursive: true, force: true });

const mib = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
const growth = warmRss > 0 ? endRss / warmRss - 1 : NaN;
const summary = {
  jobs: sent,
  answered,
  lost,
  outcomes,
  seconds: Math.round(seconds),
  jobsPerSecond: Math.round((answered / seconds) * 10) / 10,
  rssMiB: { afterWarmup: mib(warmRss), end: mib(endRss), peak: mib(Math.max(...samples)), growthPercent: Math.round(growth * 1000) / 10 },
  rssTimelineMiB: samples.filter((_, i) => i % 5 === 0).map(mib),
  atStop: (JSON.parse(stopLine || '{}') as { memory?: unknown }).memory ?? null,
  errorLogLines: errorLines,
  exitCode,
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
process.exitCode = lost === 0 && growth <= 0.2 && exitCode === 0 ? 0 : 1;
