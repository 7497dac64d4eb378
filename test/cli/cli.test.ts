import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { FakeBotApi } from '../../dev/standins/telegram/FakeBotApi.ts';
import { APP_ID, FakeDiscord } from '../../dev/standins/discord/FakeDiscord.ts';
import { privateChat, photoMessage, alice } from '../../dev/standins/telegram/updates.ts';
import { fixture, FIXTURES } from '../helpers.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/toonbot.js');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** The environment minus anything that could start a bot or change the engine. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEGRAM_|DISCORD_|TOONBOT_|LOG_LEVEL)/.test(k)));
}

async function exec(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, env: { ...cleanEnv(), ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `npm start`'s entry in a child process in the test folder: its stderr so far, and its exit code. */
function startMain(env: Record<string, string>) {
  const child = spawn(TSX, [path.join(ROOT, 'src/main.ts')], { cwd: dir, env: { ...cleanEnv(), ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('toonbot cartoon', () => {
  it('runs a batch, skips the bad file with its reason, and writes a contact sheet', async () => {
    const bad = path.join(dir, 'notes.jpg');
    await writeFile(bad, 'this is text, not a photo');
    const out = path.join(dir, 'out');
    const { code, stdout } = await exec(
      process.execPath,
      [BIN, 'cartoon', path.join(FIXTURES, 'chelsea.png'), bad, path.join(FIXTURES, 'coffee.png'), '-o', out, '--resolution', '256', '--format', 'jpeg', '--sheet'],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/chelsea\.png\s+256x170 .* ok/);
    expect(stdout).toMatch(/notes\.jpg .*UNSUPPORTED_IMAGE/);
    expect(stdout).toContain('2 done, 1 failed');
    // Where the models ran, said without asking doctor.
    expect(stdout).toMatch(/; models ran on cpu\n/);
    expect((await readdir(out)).sort()).toEqual(['chelsea.toon.jpg', 'coffee.toon.jpg', 'contact-sheet.jpg']);
    const sheet = await sharp(path.join(out, 'contact-sheet.jpg')).metadata();
    expect(sheet.format).toBe('jpeg');
    expect(sheet.width).toBeGreaterThan(2 * 320);
  });

  it("--json prints one document with each file's result or error and where the models ran", async () => {
    const bad = path.join(dir, 'broken.png');
    // A real PNG cut short: its header reads, its pixels do not.
    await writeFile(bad, fixture('astronaut.png').subarray(0, 4000));
    const out = path.join(dir, 'json-out');
    const { code, stdout } = await exec(process.execPath, [BIN, 'cartoon', path.join(FIXTURES, 'astronaut.png'), bad, '-o', out, '--resolution', '256', '--json'], dir);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { files: Record<string, unknown>[]; summary: Record<string, unknown> };
    expect(doc.files[0]).toMatchObject({ file: path.join(FIXTURES, 'astronaut.png'), ok: true, output: path.join(out, 'astronaut.toon.png'), width: 256, height: 256 });
    expect((doc.files[0]?.timings as { total: number }).total).toBeGreaterThan(0);
    expect(doc.files[1]).toMatchObject({ file: bad, ok: false });
    expect(String(doc.files[1]?.error)).toMatch(/^CORRUPT_IMAGE: /);
    expect(doc.summary).toMatchObject({ done: 1, failed: 1, providers: ['cpu'], options: { style: 'toon', resolution: 256, format: 'png' } });
  });

  it('takes a folder and refuses an out-of-range option with a clear message', async () => {
    const { code, stderr } = await exec(process.execPath, [BIN, 'cartoon', FIXTURES, '-o', path.join(dir, 'x'), '--strength', '3'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('Invalid strength: expected a number from 0 to 1, got "3".');
  });

  it('lists the styles', async () => {
    const { code, stdout } = await exec(process.execPath, [BIN, 'styles'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^toon\s+Toon:/m);
  });

  it('`npx toonbot styles` in the project prints no npm warning (the project config is one npm knows)', async () => {
    const { code, stdout, stderr } = await exec('npx', ['--no-install', 'toonbot', 'styles'], ROOT);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^toon\s+Toon:/m);
    expect(`${stdout}${stderr}`).not.toMatch(/^npm warn/im);
  });
});

describe('npm start (src/main.ts)', () => {
  it("with no token set and the studio's port taken, says so and exits 1", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const { code, stderr } = await exec(TSX, [path.join(ROOT, 'src/main.ts')], dir, { TOONBOT_WEB_PORT: String(port) });
      expect(code).toBe(1);
      expect(stderr).toContain('could not start: the port is in use (set TOONBOT_WEB_PORT or TOONBOT_HTTP_PORT to a free one)');
    } finally {
      taken.close();
    }
  });

  it('with a Telegram token, serves photos, then stops cleanly on SIGTERM without logging the token', async () => {
    const api = new FakeBotApi();
    await api.start();
    const { child, stderr, exited } = startMain({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, TELEGRAM_SETTINGS_PATH: path.join(dir, 's.json') });
    try {
      await api.waitFor((c) => c.method === 'setMyCommands', 30_000);
      api.addFile('m-s', await sharp(fixture('coffee.png')).resize(90).jpeg().toBuffer());
      api.addFile('m-l', await sharp(fixture('coffee.png')).jpeg().toBuffer());
      api.push({ message: photoMessage(privateChat(alice), alice, { small: 'm-s', large: 'm-l' }, { caption: 'res=256' }) });
      const sent = await api.waitFor((c) => c.method === 'sendPhoto', 30_000);
      expect((await sharp(sent.files.photo?.data).metadata()).width).toBe(256);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr()).toContain('"msg":"stopped"');
      expect(stderr()).not.toContain(api.token);
    } finally {
      child.kill('SIGKILL');
      await api.stop();
    }
  }, 60_000);

  it('with Discord tokens, logs in through the gateway, then logs out on SIGTERM', async () => {
    const discord = new FakeDiscord();
    await discord.start();
    const { child, stderr, exited } = startMain({ DISCORD_TOKEN: 'MTEw.fake.token-for-main-test', DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_ROOT: discord.apiRoot });
    try {
      await discord.waitFor((c) => c.path === '/api/v10/gateway/bot', 30_000);
      const deadline = Date.now() + 30_000;
      while (!stderr().includes('"msg":"ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(stderr()).toContain('"bots":["discord"]');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr()).toContain('"msg":"stopped"');
      expect(stderr()).not.toContain('token-for-main-test');
    } finally {
      child.kill('SIGKILL');
      await discord.stop();
    }
  }, 60_000);
});
