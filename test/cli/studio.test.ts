/**
 * The README's main command on a machine with no bot token: `npm start` opens the web studio on
 * loopback, says where, answers within 10 s, and Ctrl-C (SIGINT to the whole process group, as a
 * terminal sends it) stops it cleanly after answering the photo it was working on.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixture, freePort, groupAlive } from '../helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm start without a bot token', () => {
  it('serves the studio on 127.0.0.1 within 10 s, and Ctrl-C stops it after answering the photo in hand', async () => {
    const port = await freePort();
    const started = performance.now();
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      detached: true,
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEGRAM_|DISCORD_|TOONBOT_|LOG_LEVEL)/.test(k))), TOONBOT_WEB_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid as number;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const url = `http://127.0.0.1:${port}/`;
      let page: Response | undefined;
      while (!page && performance.now() - started < 10_000) {
        page = await fetch(url).catch(() => undefined);
        if (!page) await new Promise((r) => setTimeout(r, 100));
      }
      expect(page?.status, stderr.slice(-1500)).toBe(200);
      expect(await page?.text()).toContain('ToonBot studio');
      // It says where it is, once the models are warm.
      for (const deadline = Date.now() + 30_000; !stdout.includes('ToonBot studio:') && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toContain(`ToonBot studio: ${url}`);
      expect(stderr).toContain('no bot token set: starting the web studio only');

      // A photo is being worked on when Ctrl-C comes.
      const body = new FormData();
      body.append('resolution', '2048');
      body.append('photo', new Blob([new Uint8Array(fixture('chelsea.png'))]), 'chelsea.png');
      const answer = fetch(`${url}api/cartoon`, { method: 'POST', body, headers: { accept: 'text/event-stream' } }).then((r) => r.text());
      for (const deadline = Date.now() + 10_000; !(await fetch(`${url}metrics`).then((r) => r.text())).match(/^toonbot_jobs_running 1$/m) && Date.now() < deadline;)
        await new Promise((r) => setTimeout(r, 50));
      process.kill(-pgid, 'SIGINT');
      expect(await answer).toMatch(/^event: result$/m);
      for (const deadline = Date.now() + 30_000; groupAlive(pgid) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
      expect(groupAlive(pgid), stderr.slice(-1500)).toBe(false);
      expect(stderr).toContain('"msg":"stopped"');
      expect(stderr).not.toMatch(/"level":"error"/);
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  }, 90_000);
});
