/**
 * Running the Telegram bot for a community, end to end against the local Bot API stand-in: owners
 * block and unblock from the chat, an allow list, the daily limit, the Cancel button (and forged
 * presses of it), /queue and /stats.
 */
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type AccessConfig } from '../../../src/bots/shared/access/Access.ts';
import type { Community } from '../../../src/bots/shared/community.ts';
import { TelegramBot, TELEGRAM_DEFAULTS } from '../../../src/bots/telegram/index.ts';
import { silentLogger, type Engine } from '../../../src/engine/index.ts';
import { Metrics } from '../../../src/observe/metrics.ts';
import { communities } from '../community.ts';
import { fixture, scratchFolder, sharedEngine, stopsAfterEach } from '../../helpers.ts';
import { FakeBotApi, type Call } from '../../../dev/standins/telegram/FakeBotApi.ts';
import { alice, bob, callbackQuery, group, li, photoMessage, privateChat, textMessage } from '../../../dev/standins/telegram/updates.ts';

const OWNER = alice;
let engine: Engine;
const metrics = new Metrics();
const scratch = scratchFolder('toonbot-tg-ops-');
let api: FakeBotApi;
let bot: TelegramBot | undefined;

sharedEngine({ onJob: metrics.observe }, (e) => (engine = e));
const communityFor = communities(() => engine, metrics, { countDenials: true });
const stopping = stopsAfterEach();

async function startBot(config: Partial<AccessConfig> = {}): Promise<Community> {
  api = stopping(new FakeBotApi());
  await api.start();
  const community = communityFor(`telegram:${OWNER.id}`, config);
  bot = stopping(
    await TelegramBot.start(
      engine,
      { ...TELEGRAM_DEFAULTS, token: api.token, apiRoot: api.apiRoot, settingsPath: path.join(scratch.path, `s-${Math.random()}.json`), albumQuietMs: 200 },
      silentLogger,
      community,
    ),
  );
  return community;
}

let photos = 0;
async function addPhoto(image: Buffer = fixture('coffee.png')): Promise<{ small: string; large: string }> {
  photos += 1;
  const id = `p${photos}`;
  api.addFile(`${id}-s`, await sharp(image).resize(90).jpeg().toBuffer());
  api.addFile(`${id}-l`, await sharp(image).jpeg({ quality: 90 }).toBuffer());
  return { small: `${id}-s`, large: `${id}-l` };
}

const sentTo = (chatId: number) => (c: Call) => Number(c.params.chat_id) === chatId;
const textTo = async (chatId: number, after = 0) => String((await api.waitFor((c) => c.method === 'sendMessage' && sentTo(chatId)(c) && api.calls.indexOf(c) >= after)).params.text);
const downloads = () => api.callsTo('getFile').length;

describe('Telegram: owners and lists', () => {
  it('an owner blocks a group member by replying /block: their photos are ignored there, refused once a day in private, served again after /unblock', async () => {
    await startBot();
    const bobsMessage = textMessage(group, bob, 'hello');
    // Not an owner: refused, nothing changes.
    let mark = api.calls.length;
    api.push({ message: textMessage(group, li, '/block', bobsMessage) });
    expect(await textTo(group.id, mark)).toBe('只有机器人的所有者可以这样做。');
    mark = api.calls.length;
    api.push({ message: textMessage(group, OWNER, '/block', bobsMessage) });
    expect(await textTo(group.id, mark)).toBe(`telegram:${bob.id} is blocked.`);

    // In the group: silence, and nothing downloaded.
    const before = downloads();
    api.push({ message: photoMessage(group, bob, await addPhoto(), { caption: '/cartoon res=256' }) });
    // In private: told once today, then silence.
    mark = api.calls.length;
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    expect(await textTo(bob.id, mark)).toBe('This bot is not available to you.');
    mark = api.calls.length;
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    await new Promise((r) => setTimeout(r, 500));
    await bot?.idle();
    expect(api.calls.slice(mark).filter(sentTo(bob.id))).toEqual([]);
    expect(api.calls.filter((c) => sentTo(group.id)(c) && c.method === 'sendPhoto')).toEqual([]);
    expect(downloads()).toBe(before);

    mark = api.calls.length;
    api.push({ message: textMessage(privateChat(OWNER), OWNER, `/unblock ${bob.id}`) });
    expect(await textTo(OWNER.id, mark)).toBe(`telegram:${bob.id} is unblocked.`);
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(bob.id)(c));
  });

  it('with an allow list, only the listed users and groups are served; a blocked group is silent for all', async () => {
    await startBot({ allow: [`telegram:${bob.id}`], block: [`telegram:chat:${group.id}`] });
    const mark = api.calls.length;
    api.push({ message: photoMessage(privateChat(li), li, await addPhoto(), { caption: 'res=256' }) });
    expect(await textTo(li.id, mark)).toBe('此机器人不向你提供服务。');
    api.push({ message: photoMessage(group, bob, await addPhoto(), { caption: '/cartoon res=256' }) });
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(bob.id)(c));
    await bot?.idle();
    expect(api.calls.filter(sentTo(group.id))).toEqual([]);
    // The owner is served whatever the lists say.
    api.push({ message: photoMessage(privateChat(OWNER), OWNER, await addPhoto(), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(OWNER.id)(c));
  });

  it('the daily limit refuses the next photo before downloading it, saying when it resets; owners are exempt', async () => {
    await startBot({ dailyLimit: 1 });
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(bob.id)(c));
    const before = downloads();
    const mark = api.calls.length;
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    expect(await textTo(bob.id, mark)).toMatch(/^You have used your 1 photos for today\. The count starts again in (\d+ h )?\d+ min \(midnight UTC\)\.$/);
    expect(downloads()).toBe(before);
    for (let i = 0; i < 2; i += 1) api.push({ message: photoMessage(privateChat(OWNER), OWNER, await addPhoto(), { caption: 'res=256' }) });
    await api.waitFor(() => api.calls.filter((c) => c.method === 'sendPhoto' && sentTo(OWNER.id)(c)).length === 2);
  });
});

describe('Telegram: Cancel, /queue and /stats', () => {
  it('the sender cancels a queued photo: it leaves the line before the model, the status says "Cancelled."; others cannot', async () => {
    const community = await startBot();
    const done = (await metrics.snapshot()).outcomes.done ?? 0;
    // Three 2048 px jobs of others hold the model (seconds of work) while Bob's and Li's wait.
    const busy = holdTheModel(engine);
    await new Promise((r) => setTimeout(r, 100));
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    const queued = await api.waitFor((c) => c.method === 'sendMessage' && sentTo(bob.id)(c));
    expect(queued.params.text).toBe('Queued: #3 in line…');
    const raw = queued.params.reply_markup;
    const markup = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { inline_keyboard: { text: string; callback_data: string }[][] };
    const button = markup.inline_keyboard[0]?.[0];
    expect(button?.text).toBe('Cancel');
    // Li's photo waits behind Bob's.
    api.push({ message: photoMessage(privateChat(li), li, await addPhoto(), { caption: 'res=256' }) });
    const second = await api.waitFor((c) => c.method === 'sendMessage' && sentTo(li.id)(c));
    expect(second.params.text).toBe('排队中：第 4 位…');
    // /queue tells Bob where his photo is.
    let mark = api.calls.length;
    api.push({ message: textMessage(privateChat(bob), bob, '/queue') });
    expect(await textTo(bob.id, mark)).toBe('Your photos: #3 in line.');

    // Li presses Bob's button, then a made-up one: refused, nothing changes.
    mark = api.calls.length;
    api.push({ callback_query: callbackQuery(li, queued.params, String(button?.callback_data)) });
    api.push({ callback_query: callbackQuery(li, queued.params, 'cancel:madeUpToken123') });
    await api.waitFor(() => api.calls.slice(mark).filter((c) => c.method === 'answerCallbackQuery').length === 2);
    expect(
      api.calls
        .slice(mark)
        .filter((c) => c.method === 'answerCallbackQuery')
        .map((c) => c.params.text),
    ).toEqual(['只有发送照片的人可以取消。', '这张照片已经处理完了。']);
    expect(community.cancels.of(`telegram:${bob.id}`)).toEqual([3]);

    const liPlace = () => community.cancels.of(`telegram:${li.id}`)[0] as number;
    const finished = async () => (await metrics.snapshot()).outcomes.done ?? 0;
    const [liBefore, doneBefore] = [liPlace(), await finished()];
    mark = api.calls.length;
    api.push({ callback_query: callbackQuery(bob, queued.params, String(button?.callback_data)) });
    const answer = await api.waitFor((c) => c.method === 'answerCallbackQuery' && api.calls.indexOf(c) >= mark);
    expect(answer.params.text).toBe('Cancelled.');
    // Li moved up by Bob's place at once (and by any of the others' jobs that ended meanwhile).
    expect(liPlace()).toBe(liBefore - 1 - ((await finished()) - doneBefore));
    const edited = await api.waitFor((c) => c.method === 'editMessageText' && sentTo(bob.id)(c) && c.params.text === 'Cancelled.');
    expect(edited.params.reply_markup).toBeUndefined();
    // Li moves up at once (the first edit of Li's status), before the others' jobs are done.
    const moved = await api.waitFor((c) => c.method === 'editMessageText' && sentTo(li.id)(c));
    // From #4 to #3, or further if one of the others' jobs also ended before the edit went out.
    const place = Number(/^排队中：第 (\d+) 位…$/.exec(String(moved.params.text))?.[1]);
    expect(place).toBeGreaterThanOrEqual(1);
    expect(place).toBeLessThanOrEqual(3);
    await busy;
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(li.id)(c));
    await bot?.idle();
    // Bob got no cartoon and no error; only the others' three and Li's reached the model.
    expect(api.calls.filter((c) => sentTo(bob.id)(c) && (c.method === 'sendPhoto' || (c.method === 'sendMessage' && c !== queued && api.calls.indexOf(c) > mark)))).toEqual([]);
    expect((await metrics.snapshot()).outcomes.done).toBe(done + 4);
    expect(community.cancels.of(`telegram:${bob.id}`)).toEqual([]);
  });

  it("/stats answers owners with the day's figures, and no one else", async () => {
    await startBot();
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto(), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(bob.id)(c));
    let mark = api.calls.length;
    api.push({ message: textMessage(privateChat(bob), bob, '/stats') });
    expect(await textTo(bob.id, mark)).toBe("Only the bot's owners can do that.");
    mark = api.calls.length;
    api.push({ message: textMessage(privateChat(OWNER), OWNER, '/stats') });
    const text = await textTo(OWNER.id, mark);
    expect(text).toMatch(/^ToonBot \d+\.\d+\.\d+\nSince start: done \d+, failed \d+, refused /);
    expect(text).toMatch(/\nToday \(UTC\): done [1-9]\d*, /);
    expect(text).toMatch(/processing p50 \d+\.\d+ s, p95 \d+\.\d+ s/);
    expect(text).toContain('Models on: cpu');
  });
});

/** Three 2048 px jobs of other users, straight into the engine: the model is busy for seconds. */
function holdTheModel(on: Engine): Promise<unknown> {
  const image = fixture('astronaut.png');
  return Promise.all([1, 2, 3].map((i) => on.submit({ image, options: { resolution: 2048 }, requester: `web:other-${i}` })));
}
