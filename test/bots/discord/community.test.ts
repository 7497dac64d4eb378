/**
 * Running the Discord bot for a community, end to end against the local REST and gateway
 * stand-ins: the owners' /toonbot block|unblock|stats, the daily limit, the Cancel button (and
 * presses of it by others), /queue.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type AccessConfig } from '../../../src/bots/shared/access/Access.ts';
import type { Community } from '../../../src/bots/shared/community.ts';
import { DiscordBot, DISCORD_DEFAULTS } from '../../../src/bots/discord/index.ts';
import { silentLogger, type Engine } from '../../../src/engine/index.ts';
import { Metrics } from '../../../src/observe/metrics.ts';
import { communities } from '../community.ts';
import { fixture, sharedEngine, stopsAfterEach } from '../../helpers.ts';
import { APP_ID, FakeDiscord, type RestCall } from '../../../dev/standins/discord/FakeDiscord.ts';
import { ann, ben, button, CHANNEL_ID, command, slash, wei } from '../../../dev/standins/discord/payloads.ts';

const OWNER = ann;
let engine: Engine;
const metrics = new Metrics();
let discord: FakeDiscord;
let bot: DiscordBot | undefined;

sharedEngine({ onJob: metrics.observe }, (e) => (engine = e));
const communityFor = communities(() => engine, metrics);
const stopping = stopsAfterEach();

async function startBot(config: Partial<AccessConfig> = {}): Promise<Community> {
  discord = stopping(new FakeDiscord());
  await discord.start();
  const community = communityFor(`discord:${OWNER.id}`, config);
  bot = stopping(
    await DiscordBot.start(
      engine,
      { ...DISCORD_DEFAULTS, token: 'MTEwMDAw.fake.discord-token', applicationId: APP_ID, apiRoot: discord.apiRoot, attachmentHosts: ['127.0.0.1'] },
      silentLogger,
      community,
    ),
  );
  return community;
}

async function photo(name: string, source = fixture('coffee.png')) {
  const data = await sharp(source).jpeg({ quality: 90 }).toBuffer();
  return { url: discord.attachment(name, data), size: data.length, contentType: 'image/jpeg', width: 600, height: 400, filename: name };
}

const callback = (token: string) => (c: RestCall) => c.method === 'POST' && c.path.includes(`/${token}/callback`);
const isFinal = (token: string) => (c: RestCall) => c.method === 'PATCH' && c.path.includes(`/${token}/`) && c.files.length > 0;
const isEdit = (token: string) => (c: RestCall) => c.method === 'PATCH' && c.path.includes(`/${token}/`);
const said = async (token: string) => (await discord.waitFor(callback(token))).body as { type: number; data: { content: string; flags: number } };

describe('Discord: owners and lists', () => {
  it("/toonbot block is the owners' alone; a blocked user is told privately, before any deferral or download; /toonbot unblock serves them again", async () => {
    await startBot();
    const notOwner = command(wei, 'toonbot', { name: 'block', user: ben });
    discord.dispatch('INTERACTION_CREATE', notOwner);
    expect(await said(notOwner.token)).toMatchObject({ type: 4, data: { content: '只有机器人的所有者可以这样做。', flags: 64 } });

    const block = command(OWNER, 'toonbot', { name: 'block', user: ben });
    discord.dispatch('INTERACTION_CREATE', block);
    expect(await said(block.token)).toMatchObject({ type: 4, data: { content: `discord:${ben.id} is blocked.`, flags: 64 } });

    const refused = slash(ben, await photo('x.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', refused);
    expect(await said(refused.token)).toMatchObject({ type: 4, data: { content: '⚠️ This bot is not available to you.', flags: 64 } });
    expect(discord.calls.some((c) => c.path === '/attachments/x.jpg')).toBe(false);

    const unblock = command(OWNER, 'toonbot', { name: 'unblock', user: ben });
    discord.dispatch('INTERACTION_CREATE', unblock);
    expect((await said(unblock.token)).data.content).toBe(`discord:${ben.id} is unblocked.`);
    const served = slash(ben, await photo('y.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', served);
    await discord.waitFor(isFinal(served.token));
  });

  it('a blocked channel or server: nobody in it is served; the daily limit refuses the next image before its download', async () => {
    await startBot({ dailyLimit: 1 });
    const first = slash(ben, await photo('1.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', first);
    await discord.waitFor(isFinal(first.token));
    const second = slash(ben, await photo('2.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', second);
    const edit = await discord.waitFor(isEdit(second.token));
    expect((edit.body as { content: string }).content).toMatch(/^⚠️ You have used your 1 photos for today\. The count starts again in /);
    expect(discord.calls.some((c) => c.path === '/attachments/2.jpg')).toBe(false);

    // A channel of the server, on its own.
    const blockChannel = command(OWNER, 'toonbot', { name: 'block', channel: CHANNEL_ID });
    discord.dispatch('INTERACTION_CREATE', blockChannel);
    expect((await said(blockChannel.token)).data.content).toBe(`discord:channel:${CHANNEL_ID} is blocked.`);
    const inChannel = slash(wei, await photo('c.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', inChannel);
    expect((await said(inChannel.token)).data).toMatchObject({ content: '⚠️ 此机器人不向你提供服务。', flags: 64 });
    const unblockChannel = command(OWNER, 'toonbot', { name: 'unblock', channel: CHANNEL_ID });
    discord.dispatch('INTERACTION_CREATE', unblockChannel);
    expect((await said(unblockChannel.token)).data.content).toBe(`discord:channel:${CHANNEL_ID} is unblocked.`);

    const blockServer = command(OWNER, 'toonbot', { name: 'block', server: '3300000000000000001' });
    discord.dispatch('INTERACTION_CREATE', blockServer);
    expect((await said(blockServer.token)).data.content).toBe('discord:guild:3300000000000000001 is blocked.');
    const inServer = slash(wei, await photo('3.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', inServer);
    expect((await said(inServer.token)).data).toMatchObject({ content: '⚠️ 此机器人不向你提供服务。', flags: 64 });
  });
});

describe('Discord: Cancel, /queue and stats', () => {
  it('the sender cancels a waiting image from its reply; someone else cannot; /queue and /toonbot stats answer privately', async () => {
    await startBot();
    // Three 2048 px jobs of others hold the model (seconds of work) while Ben's waits.
    const image = fixture('astronaut.png');
    const busy = Promise.all([1, 2, 3].map((i) => engine.submit({ image, options: { resolution: 2048 }, requester: `web:other-${i}` })));
    await new Promise((r) => setTimeout(r, 100));
    const waiting = slash(ben, await photo('small.jpg'), { resolution: 512 });
    discord.dispatch('INTERACTION_CREATE', waiting);
    const inLine = await discord.waitFor((c) => isEdit(waiting.token)(c) && (c.body as { content?: string }).content === '#3 in line…');
    const row = (inLine.body as { components: { components: { custom_id: string; label: string }[] }[] }).components[0]?.components[0];
    expect(row?.label).toBe('Cancel');
    const queue = command(ben, 'queue');
    discord.dispatch('INTERACTION_CREATE', queue);
    expect((await said(queue.token)).data).toMatchObject({ content: 'Your photos: #3 in line.', flags: 64 });

    const messageId = discord.originalId(waiting.token);
    const other = button(wei, messageId, String(row?.custom_id));
    discord.dispatch('INTERACTION_CREATE', other);
    expect((await said(other.token)).data).toMatchObject({ content: '只有发送照片的人可以取消。', flags: 64 });

    const madeUp = button(ben, messageId, 'toonbot-cancel:notARealToken1');
    discord.dispatch('INTERACTION_CREATE', madeUp);
    expect((await said(madeUp.token)).data).toMatchObject({ content: 'That photo is already done.', flags: 64 });

    const mine = button(ben, messageId, String(row?.custom_id));
    discord.dispatch('INTERACTION_CREATE', mine);
    expect(await said(mine.token)).toMatchObject({ type: 7, data: { content: 'Cancelled.', components: [] } });
    await busy;
    await bot?.idle();
    expect(discord.calls.some(isFinal(waiting.token))).toBe(false);
    expect(discord.calls.some((c) => c.path === '/attachments/small.jpg')).toBe(true);

    const statsCommand = command(OWNER, 'toonbot', { name: 'stats' });
    discord.dispatch('INTERACTION_CREATE', statsCommand);
    const answer = await said(statsCommand.token);
    expect(answer.data.flags).toBe(64);
    expect(answer.data.content).toMatch(/\nToday \(UTC\): done [1-9]\d*, failed 0, refused /);
  });
});
