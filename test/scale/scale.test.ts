/**
 * Scale-out mode against a real Redis server: the bot process (the README's main command, with
 * TOONBOT_REDIS_URL) feeds two `toonbot worker` processes through BullMQ, users on the Telegram
 * stand-in. Both workers take jobs, places in line move, a worker killed mid-job (kill -9) loses
 * nothing, a bot killed while its jobs run answers them after its restart, nobody is answered
 * twice, and Redis is left as it was found.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeBotApi, type Call } from '../../dev/standins/telegram/FakeBotApi.ts';
import { photoMessage, privateChat, type Person } from '../../dev/standins/telegram/updates.ts';
import { fixture, freePort } from '../helpers.ts';
import { startRedis, type RedisServer } from '../../dev/redis.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Proc {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

let redis: RedisServer;
let dir: string;
let photo: Buffer;
const procs: Proc[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-scale-'));
  photo = await sharp(fixture('astronaut.png')).jpeg({ quality: 90 }).toBuffer();
});
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEGRAM_|DISCORD_|TOONBOT_|LOG_LEVEL)/.test(k))),
    TOONBOT_REDIS_URL: redis.url,
    TOONBOT_WORKER_LOCK_S: '5',
    TOONBOT_THREADS: '1',
    ...extra,
  };
}

async function launch(args: string[], extra: Record<string, string>, readyLine: string): Promise<Proc> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: env(extra), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc = { child, log: () => log, exited };
  procs.push(proc);
  const deadline = Date.now() + 40_000;
  while (!log.includes(readyLine) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(log, log.slice(-1500)).toContain(readyLine);
  return proc;
}

const worker = (name: string, redisUrl = redis.url) => launch(['bin/toonbot.js', 'worker', '--name', name], { TOONBOT_REDIS_URL: redisUrl }, '"msg":"worker ready"');
/** The bot process; its settings file names its journal too (a restart on the same one finds its jobs). */
const bot = (api: FakeBotApi, settings: string, redisUrl = redis.url) =>
  launch(
    ['--import', 'tsx', 'src/main.ts'],
    {
      TOONBOT_REDIS_URL: redisUrl,
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.apiRoot,
      TELEGRAM_SETTINGS_PATH: settings,
      TOONBOT_JOURNAL_PATH: settings.replace(/\.json$/, '-journal.log'),
      TOONBOT_MAX_WAITING: '64',
    },
    '"msg":"ready"',
  );

function count(log: string, line: string): number {
  return log.split('\n').filter((l) => l.includes(line)).length;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Each user's answers: photos sent to them, and texts other than the place in line. */
function answers(api: FakeBotApi, users: Person[]) {
  const to = (u: Person) => (c: Call) => Number(c.params.chat_id) === u.id;
  return users.map((u) => ({
    photos: api.callsTo('sendPhoto').filter(to(u)).length,
    texts: api
      .callsTo('sendMessage')
      .filter(to(u))
      .map((c) => String(c.params.text))
      .filter((t) => !t.startsWith('Queued')),
  }));
}

function send(api: FakeBotApi, users: Person[], caption: string, tag: string): void {
  for (const [i, user] of users.entries()) {
    api.addFile(`${tag}${i}-s`, photo);
    api.addFile(`${tag}${i}-l`, photo);
    api.push({ message: photoMessage(privateChat(user), user, { small: `${tag}${i}-s`, large: `${tag}${i}-l` }, { caption }) });
  }
}

async function toonbotKeys(): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    return (await client.keys('*')).filter((k) => !k.endsWith(':events') && !k.endsWith(':meta') && !k.endsWith(':id') && !k.includes(':worker:') && !k.endsWith(':stalled-check'));
  } finally {
    client.disconnect();
  }
}

const people = (base: number, n: number): Person[] => Array.from({ length: n }, (_, i) => ({ id: base + i, first_name: `U${base + i}`, language_code: 'en' }));

/** A Telegram stand-in for one test, stopped however the test ends. */
async function withBotApi(run: (api: FakeBotApi) => Promise<void>): Promise<void> {
  const api = new FakeBotApi();
  await api.start();
  try {
    await run(api);
  } finally {
    await api.stop();
  }
}

describe('scale-out: one bot, two workers, one Redis', () => {
  it('both workers take jobs, places in line move, every photo answered once, Redis cleaned up', async () => {
    await withBotApi(async (api) => {
      const [w1, w2] = await Promise.all([worker('w1'), worker('w2')]);
      await bot(api, path.join(dir, 's1.json'));
      const users = people(8100, 8);
      send(api, users, 'res=2048', 'a');
      await until(() => answers(api, users).every((a) => a.photos + a.texts.length >= 1), 90_000, 'every user answered');
      await new Promise((r) => setTimeout(r, 500));
      expect(answers(api, users)).toEqual(users.map(() => ({ photos: 1, texts: [] })));
      // Both workers worked.
      expect(count(w1.log(), '"msg":"job done"')).toBeGreaterThanOrEqual(1);
      expect(count(w2.log(), '"msg":"job done"')).toBeGreaterThanOrEqual(1);
      // Someone saw their place in line move down as workers took jobs.
      const seen = users.map((u) =>
        api.calls
          .filter((c) => (c.method === 'sendMessage' || c.method === 'editMessageText') && Number(c.params.chat_id) === u.id)
          .map((c) => String(c.params.text))
          .filter((t) => /^Queued: #\d/.test(t))
          .map((t) => Number(/#(\d+)/.exec(t)?.[1])),
      );
      expect(seen.some((places) => places.length >= 2 && places.every((p, i) => i === 0 || p < (places[i - 1] as number)))).toBe(true);
      // Images, jobs and markers are gone once answered.
      await until(async () => (await toonbotKeys()).length === 0, 10_000, 'Redis cleaned up');
    });
  }, 150_000);

  it('a worker killed mid-job loses nothing: the job is taken back by the other one', async () => {
    await withBotApi(async (api) => {
      const [w1, w2] = await Promise.all([worker('k1'), worker('k2')]);
      await bot(api, path.join(dir, 's2.json'));
      const users = people(8200, 1);
      send(api, users, 'res=2048', 'k');
      // Whichever worker starts it is killed at once.
      await until(() => [w1, w2].some((w) => w.log().includes('"msg":"job started"')), 30_000, 'a worker to start the job');
      const doomed = [w1, w2].find((w) => w.log().includes('"msg":"job started"')) as Proc;
      const survivor = doomed === w1 ? w2 : w1;
      doomed.child.kill('SIGKILL');
      await until(() => answers(api, users).every((a) => a.photos + a.texts.length >= 1), 90_000, 'the answer');
      expect(answers(api, users)).toEqual([{ photos: 1, texts: [] }]);
      expect(survivor.log()).toMatch(/"stalled":1,"msg":"job started"/);
      await until(async () => (await toonbotKeys()).length === 0, 10_000, 'Redis cleaned up');
    });
  }, 150_000);

  it('a job whose worker dies twice is answered with an error, not retried forever', async () => {
    await withBotApi(async (api) => {
      const workers = await Promise.all([worker('d1'), worker('d2'), worker('d3')]);
      await bot(api, path.join(dir, 's4.json'));
      const users = people(8400, 1);
      send(api, users, 'res=2048', 'd');
      for (const round of [1, 2]) {
        await until(() => workers.some((w) => w.child.exitCode === null && w.child.signalCode === null && count(w.log(), '"msg":"job started"') >= 1), 60_000, `start ${round}`);
        const doomed = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null && count(w.log(), '"msg":"job started"') >= 1) as Proc;
        doomed.child.kill('SIGKILL');
        await doomed.exited;
      }
      await until(() => answers(api, users).every((a) => a.photos + a.texts.length >= 1), 60_000, 'the answer');
      expect(answers(api, users)).toEqual([{ photos: 0, texts: ['Something went wrong on my side. Please try again.'] }]);
      await until(async () => (await toonbotKeys()).length === 0, 10_000, 'Redis cleaned up');
    });
  }, 150_000);

  it('a bot killed while workers have its jobs answers them after its restart, once', async () => {
    await withBotApi(async (api) => {
      const w = await worker('r1');
      const settings = path.join(dir, 's3.json');
      const first = await bot(api, settings);
      const users = people(8300, 3);
      send(api, users, 'res=1024', 'r');
      await until(() => count(w.log(), '"msg":"job started"') >= 1, 30_000, 'the worker to start');
      await until(() => api.callsTo('sendMessage').some((c) => String(c.params.text).startsWith('Queued')), 30_000, 'a place in line shown');
      first.child.kill('SIGKILL');
      await first.exited;
      // The jobs finish while no bot runs.
      await until(() => count(w.log(), '"msg":"job done"') >= 3, 60_000, 'the jobs to finish');
      const before = api.callsTo('sendPhoto').length;
      const second = await bot(api, settings);
      await until(() => answers(api, users).every((a) => a.photos + a.texts.length >= 1), 60_000, 'answers after the restart');
      await new Promise((r) => setTimeout(r, 1000));
      expect(answers(api, users)).toEqual(users.map(() => ({ photos: 1, texts: [] })));
      expect(api.callsTo('sendPhoto').length - before).toBeGreaterThanOrEqual(1);
      expect(second.log()).toContain('"msg":"scale-out: took back jobs from before the restart"');
      await until(async () => (await toonbotKeys()).length === 0, 10_000, 'Redis cleaned up');
    });
  }, 150_000);

  it('a bot killed while a photo downloads (before Redis has it) answers it after its restart, from its journal', async () => {
    await withBotApi(async (api) => {
      await worker('j1');
      const settings = path.join(dir, 's5.json');
      const first = await bot(api, settings);
      const [user] = people(8500, 1) as [Person];
      api.stalled.add('j0-l');
      send(api, [user], 'res=512', 'j');
      await until(() => api.downloads.length >= 1, 30_000, 'the download to start');
      first.child.kill('SIGKILL');
      await first.exited;
      api.stalled.clear();
      await bot(api, settings);
      await until(() => answers(api, [user]).every((a) => a.photos + a.texts.length >= 1), 60_000, 'the answer after the restart');
      await new Promise((r) => setTimeout(r, 1000));
      expect(answers(api, [user])).toEqual([{ photos: 1, texts: [] }]);
      await until(async () => (await toonbotKeys()).length === 0, 10_000, 'Redis cleaned up');
    });
  }, 150_000);

  it('Redis with its append-only file restarted under load: every photo answered with its cartoon', async () => {
    const aof = await mkdtemp(path.join(dir, 'aof-'));
    let own = await startRedis(undefined, aof);
    try {
      await withBotApi(async (api) => {
        const w = await worker('a1', own.url);
        await bot(api, path.join(dir, 's6.json'), own.url);
        const users = people(8600, 4);
        send(api, users, 'res=1024', 'x');
        // All in line (each shown its place, or answered), one of them on the worker.
        await until(
          () => users.every((u) => api.calls.some((c) => Number(c.params.chat_id) === u.id && (c.method === 'sendPhoto' || String(c.params.text).startsWith('Queued')))),
          30_000,
          'every photo in line',
        );
        await until(() => count(w.log(), '"msg":"job started"') >= 2, 60_000, 'the worker to be busy');
        await own.stop('SIGTERM');
        await new Promise((r) => setTimeout(r, 1500));
        own = await startRedis(own.port, aof);
        await until(() => answers(api, users).every((a) => a.photos + a.texts.length >= 1), 120_000, 'every answer');
        await new Promise((r) => setTimeout(r, 1000));
        expect(answers(api, users)).toEqual(users.map(() => ({ photos: 1, texts: [] })));
      });
    } finally {
      await own.stop();
    }
  }, 240_000);

  it('while Redis is away the bot says so: /readyz 503 "unavailable", photos refused with "send it again shortly"; ready again when it is back', async () => {
    const own = await startRedis();
    const api = new FakeBotApi();
    await api.start();
    const port = await freePort();
    try {
      await launch(
        ['--import', 'tsx', 'src/main.ts'],
        { TOONBOT_REDIS_URL: own.url, TOONBOT_HTTP_PORT: String(port), TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, TELEGRAM_SETTINGS_PATH: path.join(dir, 's-outage.json') },
        '"msg":"ready"',
      );
      const ready = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        return { status: res.status, state: ((await res.json()) as { state: string }).state };
      };
      expect(await ready()).toEqual({ status: 200, state: 'ready' });
      await own.stop();
      await until(async () => (await ready()).status === 503, 15_000, '/readyz to say unavailable');
      expect((await ready()).state).toBe('unavailable');
      const [user] = people(8400, 1) as [Person];
      send(api, [user], 'res=256', 'o');
      await until(() => answers(api, [user])[0]?.texts.length === 1, 15_000, 'the refusal');
      expect(answers(api, [user])[0]?.texts[0]).toBe('My photo queue is not reachable for a moment. Please send it again shortly.');
      const back = await startRedis(own.port);
      try {
        await until(async () => (await ready()).status === 200, 15_000, '/readyz to say ready again');
      } finally {
        await back.stop();
      }
    } finally {
      await api.stop();
    }
  }, 90_000);
});
