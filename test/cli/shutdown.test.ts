/**
 * Stopping the real main job with photos in line, the way service managers and terminals do it:
 * a signal to the whole process group (Ctrl-C, systemd's default), to the started process only
 * (docker stop, kill <pid>), and to npm only under `npm start`. Every accepted photo must be
 * answered (its cartoon, or "restarting" once the grace period is over), every "Queued" message
 * deleted, every process gone.
 */
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeBotApi } from '../../dev/standins/telegram/FakeBotApi.ts';
import { photoMessage, privateChat, type Person } from '../../dev/standins/telegram/updates.ts';
import { freePort, groupAlive, stalledUpload } from '../helpers.ts';
import { mainFixtures, NODE, outcome, startMain, type Run } from './mainProcess.ts';

const USERS: Person[] = Array.from({ length: 8 }, (_, i) => ({ id: 7000 + i, first_name: `User${i}`, language_code: 'en' }));
const RESTARTING = 'I am restarting. Please send it again in a moment.';

const fx = mainFixtures('toonbot-stop-');

/** Starts `command` against a fresh Bot API stand-in, with its own data files, and waits for "ready". */
async function start(command: string[] = NODE, env: Record<string, string> = {}): Promise<Run> {
  const api = new FakeBotApi();
  await api.start();
  return startMain(api, await mkdtemp(path.join(fx.dir, 'run-')), command, env);
}

/** SIGTERM to the process of `run`: it exits 0, on its own (no signal), within `ms`. */
async function stopsCleanlyWithin(run: { child: { pid?: number | undefined }; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }, ms: number): Promise<void> {
  const signalled = performance.now();
  process.kill(run.child.pid as number, 'SIGTERM');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(performance.now() - signalled).toBeLessThan(ms);
}

/** Eight users send a photo each (user i at `resolution(i)` px); resolves once at least three wait in line. */
async function fillTheLine(api: FakeBotApi, resolution: number | ((user: number) => number)): Promise<void> {
  const side = typeof resolution === 'number' ? () => resolution : resolution;
  USERS.forEach((_user, i) => {
    api.addFile(`p${i}-s`, fx.photo);
    api.addFile(`p${i}-l`, fx.photo);
  });
  for (const [i, user] of USERS.entries()) api.push({ message: photoMessage(privateChat(user), user, { small: `p${i}-s`, large: `p${i}-l` }, { caption: `res=${side(i)}` }) });
  await api.waitFor(() => api.callsTo('sendMessage').filter((c) => String(c.params.text).startsWith('Queued')).length >= 3, 30_000);
}

async function stopAndCheck(run: Run, signal: () => void): Promise<ReturnType<typeof outcome> & { exit: Awaited<Run['exited']> }> {
  const pgid = run.child.pid as number;
  try {
    signal();
    const exit = await Promise.race([run.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 60 s after the signal:\n${run.stderr().slice(-2000)}`)), 60_000))]);
    // Every process of the group is gone soon after the one we started.
    const deadline = Date.now() + 30_000;
    while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(groupAlive(pgid), run.stderr().slice(-1500)).toBe(false);
    expect(run.stderr()).toContain('"msg":"stopped"');
    const result = outcome(run.api, USERS);
    for (const user of result) {
      expect(user.photos + user.answers.length).toBe(1);
      expect(user.queuedLeft).toBe(0);
    }
    return Object.assign(result, { exit });
  } finally {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    await run.api.stop();
  }
}

describe('stopping the main job with photos in line', () => {
  it('SIGTERM to the process group: every photo answered, exit 0', async () => {
    const run = await start(NODE);
    await fillTheLine(run.api, 1024);
    const result = await stopAndCheck(run, () => process.kill(-(run.child.pid as number), 'SIGTERM'));
    expect(result.exit).toEqual({ code: 0, signal: null });
    expect(result.every((u) => u.photos === 1)).toBe(true);
  }, 120_000);

  it('SIGINT to the started process only (Ctrl-C, docker stop, kill <pid>): the same', async () => {
    const run = await start(NODE);
    await fillTheLine(run.api, 1024);
    const result = await stopAndCheck(run, () => process.kill(run.child.pid as number, 'SIGINT'));
    expect(result.exit).toEqual({ code: 0, signal: null });
    expect(result.every((u) => u.photos === 1)).toBe(true);
  }, 120_000);

  it('past the grace period, the photos left are answered "restarting, send it again", and the process still exits 0', async () => {
    const graceS = 2;
    const run = await start(NODE, { TOONBOT_STOP_GRACE_S: String(graceS) });
    // The first photo is small and is delivered before the signal, whatever the machine's speed;
    // the other seven are 2048 px, more than any machine works through in the grace period.
    await fillTheLine(run.api, (i) => (i === 0 ? 256 : 2048));
    // Signalled once a first cartoon is out (the small one, unless the line's order was shuffled by
    // a busy machine): the rest are 2048 px, more than any machine works through in the grace.
    await run.api.waitFor((c) => c.method === 'sendPhoto', 30_000);
    const sentBefore = run.api.callsTo('sendPhoto').length;
    const signalled = performance.now();
    const result = await stopAndCheck(run, () => process.kill(run.child.pid as number, 'SIGTERM'));
    expect(result.exit).toEqual({ code: 0, signal: null });
    // The grace, plus the 2048 px job in hand (it keeps the accelerator until its native work returns).
    expect(performance.now() - signalled).toBeLessThan(graceS * 1000 + 30_000);
    // Everyone got their cartoon (before the signal or inside the grace) or, after it, exactly the restarting text.
    for (const user of result) if (user.photos === 0) expect(user.answers).toEqual([RESTARTING]);
    const restarting = result.filter((u) => u.answers[0] === RESTARTING).length;
    expect(restarting, `photos sent before the signal: ${sentBefore}\n${run.stderr().slice(-3000)}`).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('past the grace period, a download that stalls is cut too: the stop does not wait for it', async () => {
    const run = await start(NODE, { TOONBOT_STOP_GRACE_S: '1' });
    const slow: Person = { id: 7999, first_name: 'Slow', language_code: 'en' };
    run.api.addFile('stall-s', fx.photo);
    run.api.addFile('stall-l', fx.photo);
    run.api.stalled.add('stall-l');
    run.api.push({ message: photoMessage(privateChat(slow), slow, { small: 'stall-s', large: 'stall-l' }, { caption: 'res=256' }) });
    await run.api.waitFor((c) => c.method === 'getFile', 30_000);
    await new Promise((r) => setTimeout(r, 300));
    // Telegram's download limit is 60 s; the stop ends about a second after the signal.
    await stopsCleanlyWithin(run, 10_000);
    const told = run.api
      .callsTo('sendMessage')
      .filter((c) => Number(c.params.chat_id) === slow.id)
      .map((c) => c.params.text);
    expect(told).toEqual([RESTARTING]);
    await run.api.stop();
  }, 120_000);

  it('stalled studio uploads do not hold up a stop: they are answered "restarting" and the process exits at grace + 2 s', async () => {
    const port = await freePort();
    const run = await start(NODE, { TOONBOT_STOP_GRACE_S: '2', TOONBOT_WEB_PORT: String(port) });
    // Two clients send the start of an upload, then nothing (the idle limit, 15 s, is far off).
    const stalled = [stalledUpload(port), stalledUpload(port)];
    await new Promise((r) => setTimeout(r, 500));
    await stopsCleanlyWithin(run, 4000);
    for (const answer of await Promise.all(stalled)) {
      expect(answer).toMatch(/^HTTP\/1.1 503/);
      expect(answer).toContain(RESTARTING);
    }
    await run.api.stop();
  }, 120_000);

  it('`npm start` signalled at npm only: npm exits at once, the bot notices and still answers everyone', async () => {
    const run = await start(['npm', 'start', '--silent']);
    await fillTheLine(run.api, 1024);
    const result = await stopAndCheck(run, () => process.kill(run.child.pid as number, 'SIGTERM'));
    // npm's own status for a SIGTERM: it neither waits for nor passes on the signal.
    expect(result.exit.code === 143 || result.exit.signal === 'SIGTERM').toBe(true);
    expect(result.every((u) => u.photos === 1)).toBe(true);
    expect(run.stderr()).toContain('"signal":"parent exited"');
  }, 120_000);

  it('serves health and metrics meanwhile: ready with its provider, draining once signalled, every job counted', async () => {
    const port = await freePort();
    const run = await start(NODE, { TOONBOT_HTTP_PORT: String(port) });
    const get = (p: string) => fetch(`http://127.0.0.1:${port}${p}`);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ state: 'ready', bots: ['telegram'], providers: ['cpu'] });
    await fillTheLine(run.api, 1024);
    expect(await (await get('/metrics')).text()).toMatch(/^toonbot_queue_waiting [1-9]/m);
    process.kill(run.child.pid as number, 'SIGTERM');
    // Draining: not ready any more, while the line is still being worked through.
    let status = 200;
    for (const deadline = Date.now() + 5000; status === 200 && Date.now() < deadline;) {
      status = (await get('/readyz')).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(503);
    await run.api.waitFor((c) => c.method === 'sendPhoto', 30_000);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain('toonbot_jobs_total{platform="telegram",outcome="done"}');
    // Platforms only: no user ids in any label.
    expect(metrics).not.toMatch(/\{[^}]*"\d{4,}"/);
    const result = await stopAndCheck(run, () => undefined);
    expect(result.exit).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('a second signal exits at once', async () => {
    const run = await start(NODE);
    await fillTheLine(run.api, 2048);
    const pid = run.child.pid as number;
    process.kill(pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const before = performance.now();
    process.kill(pid, 'SIGTERM');
    const exit = await run.exited;
    // "At once": the signal is handled between the JavaScript stages of the 2048 px job under way
    // (a second or two on a loaded 2-core machine), not after the line of eight is drained.
    expect(performance.now() - before).toBeLessThan(5000);
    // Ended by the signal itself, as a shell reports with status 143.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    await run.api.stop();
  }, 120_000);
});
