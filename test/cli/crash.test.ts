/**
 * A bot killed at any instant (SIGKILL: an OOM kill, a reboot, a container killed past its grace)
 * answers every photo it accepted once it is started again on the same data folder: the real main
 * job, the real telegraf client, a Bot API stand-in that forgets updates below the offset the bot
 * confirmed (as Telegram does), and kills at several points of a job's life. Every photo is
 * answered exactly once, and no "Queued" message is left behind.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeBotApi } from '../../dev/standins/telegram/FakeBotApi.ts';
import { photoMessage, privateChat, type Person } from '../../dev/standins/telegram/updates.ts';
import { Journal } from '../../src/bots/shared/Journal.ts';
import { freePort, groupAlive, recordingLogger } from '../helpers.ts';
import { mainFixtures, NODE, outcome, spawnMain, startMain, type Run } from './mainProcess.ts';
import { APP_ID, FakeDiscord, type RestCall } from '../../dev/standins/discord/FakeDiscord.ts';
import { ann, ben, slash, wei } from '../../dev/standins/discord/payloads.ts';

const people = (from: number, n: number): Person[] => Array.from({ length: n }, (_, i) => ({ id: from + i, first_name: `User${i}`, language_code: 'en' }));

const fx = mainFixtures('toonbot-crash-');

/** A Bot API stand-in that outlives the bot's runs, and a data folder for them. */
async function world(): Promise<{ api: FakeBotApi; data: string }> {
  const api = new FakeBotApi();
  await api.start();
  return { api, data: await mkdtemp(path.join(fx.dir, 'data-')) };
}

/** Each user sends one photo (their own files), captioned `res=<side>`. */
function send(api: FakeBotApi, users: readonly Person[], side: number): ReturnType<typeof photoMessage>[] {
  return users.map((user) => {
    api.addFile(`p${user.id}-s`, fx.photo);
    api.addFile(`p${user.id}-l`, fx.photo);
    const message = photoMessage(privateChat(user), user, { small: `p${user.id}-s`, large: `p${user.id}-l` }, { caption: `res=${side}` });
    api.push({ message });
    return message;
  });
}

/** SIGKILL to the whole process group (the bot, its threads, its children): nothing runs after it. */
async function kill(run: Pick<Run, 'child' | 'exited'>): Promise<void> {
  const pgid = run.child.pid as number;
  process.kill(-pgid, 'SIGKILL');
  expect((await run.exited).signal).toBe('SIGKILL');
  const deadline = Date.now() + 10_000;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** A clean stop of the restarted bot; afterwards its journal holds no job. */
async function stopClean(run: Pick<Run, 'child' | 'exited'>, data: string): Promise<void> {
  process.kill(run.child.pid as number, 'SIGTERM');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  const journal = await Journal.open(path.join(data, 'journal.log'), recordingLogger());
  expect(journal.recovered).toEqual([]);
  await journal.close();
}

/** Waits until every user has an answer (a photo or a text other than "Queued"). */
async function everyoneAnswered(api: FakeBotApi, users: readonly Person[], run: Run, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (outcome(api, users).some((u) => u.photos + u.answers.length === 0)) {
    if (Date.now() > deadline) throw new Error(`not everyone was answered: ${JSON.stringify(outcome(api, users))}\n${run.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('killed with SIGKILL and started again: every accepted photo answered once', () => {
  it('ten photos, killed once three cartoons are out (one running, six queued, all confirmed to Telegram)', async () => {
    const { api, data } = await world();
    const users = people(8100, 10);
    const first = await startMain(api, data);
    // Three cartoons out and recorded as delivered, and no fourth taken by "Telegram" before the
    // kill: a kill between Telegram taking a reply and the journal recording it sends that reply
    // again (Telegram has no idempotency key), and with the next reply encoded beside the
    // previous one, a fourth could reach the stand-in in the moment between the third's record
    // and the kill. Held, it is sent once, after the restart.
    api.holdPhotosAfter = 3;
    send(api, users, 768);
    const journalled = () => readFile(path.join(data, 'journal.log'), 'utf8').catch(() => '');
    for (const deadline = Date.now() + 90_000; (await journalled()).split('"delivered":true').length <= 3 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
    await kill(first);
    // The held replies' connections died with the bot: seen closed, they are dropped, not taken.
    expect(await api.heldClosed()).toBe(true);
    api.releasePhotos();
    const before = outcome(api, users);
    expect(before.filter((u) => u.photos === 1).length).toBeGreaterThanOrEqual(3);
    expect(before.filter((u) => u.photos === 0).length).toBeGreaterThanOrEqual(5);

    const port = await freePort();
    const second = await startMain(api, data, NODE, { TOONBOT_HTTP_PORT: String(port) });
    // The unanswered ones, and any delivered one whose status was not cleaned up yet.
    const recovered = Number(/"jobs":(\d+),"msg":"journal: answering the jobs a previous run accepted"/.exec(second.stderr())?.[1]);
    expect(recovered).toBeGreaterThanOrEqual(before.filter((u) => u.photos === 0).length);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^toonbot_journal_recovered_jobs ${recovered}$`, 'm'));
    expect(metrics).toMatch(/^toonbot_journal_bytes [1-9]\d*$/m);
    await everyoneAnswered(api, users, second);
    await new Promise((r) => setTimeout(r, 500));
    for (const user of outcome(api, users)) {
      expect(user).toMatchObject({ photos: 1, answers: [] });
      expect(user.queuedLeft).toBe(0);
    }
    await stopClean(second, data);
    await api.stop();
  }, 180_000);

  it("killed while the photo downloads: answered after the restart, on the day's allowance the killed run spent", async () => {
    const { api, data } = await world();
    const [user] = people(8200, 1) as [Person];
    // One photo a day: the run after the restart must not spend it a second time.
    const limit = { TOONBOT_DAILY_LIMIT: '1' };
    const first = await startMain(api, data, NODE, limit);
    api.stalled.add(`p${user.id}-l`);
    send(api, [user], 512);
    await api.waitFor((c) => c.method === 'getFile', 30_000);
    for (const deadline = Date.now() + 10_000; api.downloads.length === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    expect(api.downloads).toHaveLength(1);
    await kill(first);
    api.stalled.clear();

    const second = await startMain(api, data, NODE, limit);
    await everyoneAnswered(api, [user], second);
    expect(outcome(api, [user])[0]).toMatchObject({ photos: 1, answers: [], queuedLeft: 0 });
    await stopClean(second, data);
    await api.stop();
  }, 120_000);

  it('killed just after delivering: not sent again, even when Telegram sends the update again', async () => {
    const { api, data } = await world();
    const [user, later] = people(8300, 2) as [Person, Person];
    const first = await startMain(api, data);
    const [message] = send(api, [user], 512);
    // The moment the reply is recorded as delivered (before the status is cleaned up).
    const file = path.join(data, 'journal.log');
    for (const deadline = Date.now() + 60_000; !(await readFile(file, 'utf8').catch(() => '')).includes('"delivered":true') && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 2));
    await kill(first);
    expect(outcome(api, [user])[0]?.photos).toBe(1);

    const second = await startMain(api, data);
    // As Telegram does with an update whose confirmation the kill cut off.
    api.push({ message });
    // A new photo is answered only after the jobs of the journal were dealt with.
    send(api, [later], 256);
    await everyoneAnswered(api, [later], second);
    await new Promise((r) => setTimeout(r, 300));
    expect(outcome(api, [user])[0]).toMatchObject({ photos: 1, answers: [], queuedLeft: 0 });
    await stopClean(second, data);
    await api.stop();
  }, 120_000);
});

describe('Discord: killed with SIGKILL and started again', () => {
  it('the deferred /cartoon replies still thinking are edited into their cartoons after the restart, each once', async () => {
    const discord = new FakeDiscord();
    await discord.start();
    const data = await mkdtemp(path.join(fx.dir, 'discord-'));
    const env = { DISCORD_TOKEN: 'MTEwMDAw.fake.discord-token-for-tests-only', DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_ROOT: discord.apiRoot, DISCORD_ATTACHMENT_HOSTS: '127.0.0.1' };
    const first = await spawnMain(data, env);
    const interactions = [ann, ben, wei, ann, ben, wei].map((user, i) => {
      const url = discord.attachment(`p${i}.jpg`, fx.photo);
      return slash(user, { url, size: fx.photo.length, contentType: 'image/jpeg', width: 451, height: 512, filename: `p${i}.jpg` }, { resolution: 768 });
    });
    for (const interaction of interactions) discord.dispatch('INTERACTION_CREATE', interaction);
    const finals = (token: string) => discord.calls.filter((c: RestCall) => c.method === 'PATCH' && c.path.includes(`/${token}/messages/@original`) && c.files.length > 0);
    // Two cartoons out and their jobs closed in the journal; the others deferred, "thinking…".
    const journalled = () => readFile(path.join(data, 'journal.log'), 'utf8').catch(() => '');
    for (const deadline = Date.now() + 90_000; (await journalled()).split('"t":"done"').length <= 2 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
    await kill(first);
    const answeredBefore = interactions.filter((i) => finals(i.token).length > 0);
    expect(answeredBefore.length).toBeGreaterThanOrEqual(2);
    expect(answeredBefore.length).toBeLessThan(interactions.length);

    const second = await spawnMain(data, env);
    const deadline = Date.now() + 90_000;
    while (interactions.some((i) => finals(i.token).length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(interactions.map((i) => finals(i.token).length)).toEqual(interactions.map(() => 1));
    expect(second.stderr()).toMatch(/"msg":"journal: answering the interactions a previous run accepted"/);
    await stopClean(second, data);
    await discord.stop();
  }, 180_000);
});
