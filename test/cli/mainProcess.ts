/**
 * The real main job as a child process against a Bot API stand-in: started in a process group of
 * its own (so a signal can reach all of it), its stderr kept, "ready" awaited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import sharp from 'sharp';
import { afterAll, beforeAll, expect } from 'vitest';
import { fixture } from '../helpers.ts';
import type { Call, FakeBotApi } from '../../dev/standins/telegram/FakeBotApi.ts';
import type { Person } from '../../dev/standins/telegram/updates.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The main job's command in the README. */
export const NODE = [process.execPath, 'bin/source.mjs', 'src/main.ts'];

export interface Run {
  api: FakeBotApi;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The main job as a child, in a process group of its own, with `env` over a clean one; waits for "ready". */
export async function spawnMain(dir: string, env: Record<string, string>, command: string[] = NODE): Promise<Omit<Run, 'api'>> {
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: ROOT,
    detached: true,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEGRAM_|DISCORD_|TOONBOT_|LOG_LEVEL)/.test(k))),
      TOONBOT_JOURNAL_PATH: path.join(dir, 'journal.log'),
      TOONBOT_ACCESS_PATH: path.join(dir, 'access.json'),
      TOONBOT_MAX_WAITING: '64',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 30_000;
  while (!stderr.includes('"msg":"ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(stderr).toContain('"msg":"ready"');
  return { child, stderr: () => stderr, exited };
}

/** The main job with its Telegram bot pointed at `api`, its data files in `dir`. */
export async function startMain(api: FakeBotApi, dir: string, command: string[] = NODE, env: Record<string, string> = {}): Promise<Run> {
  const env0 = { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, TELEGRAM_SETTINGS_PATH: path.join(dir, 'settings.json') };
  return { api, ...(await spawnMain(dir, { ...env0, ...env }, command)) };
}

/** What each user got: their photos, their texts other than "Queued", and their "Queued" messages not deleted. */
export function outcome(api: FakeBotApi, users: readonly Person[]): { photos: number; answers: string[]; queuedLeft: number }[] {
  const to = (user: Person) => (c: Call) => Number(c.params.chat_id) === user.id;
  return users.map((user) => {
    const photos = api.callsTo('sendPhoto').filter(to(user)).length;
    const texts = api
      .callsTo('sendMessage')
      .filter(to(user))
      .map((c) => String(c.params.text));
    const queued = texts.filter((t) => t.startsWith('Queued')).length;
    const answers = texts.filter((t) => !t.startsWith('Queued'));
    // Messages deleted, each once however often it was asked (a restart may ask again for a status
    // it cannot know was deleted just before the kill).
    const deleted = new Set(
      api
        .callsTo('deleteMessage')
        .filter(to(user))
        .map((c) => Number(c.params.message_id)),
    );
    return { photos, answers, queuedLeft: queued - deleted.size };
  });
}

/** A test file's scratch folder and its photo (the astronaut as a phone's JPEG), made before its tests. */
export function mainFixtures(prefix: string): { readonly dir: string; readonly photo: Buffer } {
  const fx = { dir: '', photo: Buffer.alloc(0) };
  beforeAll(async () => {
    fx.dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    fx.photo = await sharp(fixture('astronaut.png')).jpeg({ quality: 90 }).toBuffer();
  });
  afterAll(() => rm(fx.dir, { recursive: true, force: true }));
  return fx;
}
