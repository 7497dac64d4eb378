/**
 * The Discord adapter end to end: a real discord.js Client logs in to a local REST server and
 * gateway, receives INTERACTION_CREATE dispatches shaped like Discord's, and answers through the
 * REST routes. Assertions are on what the user would see.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Locale } from 'discord.js';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { commandDefinitions, DiscordBot, DISCORD_DEFAULTS, registerCommands, type DiscordOptions } from '../../../src/bots/discord/index.ts';
import { DEFAULT_MESSAGES, silentLogger, ToonError, type Engine } from '../../../src/engine/index.ts';
import { clipOf, fixture, framesOf, recordingLogger, sharedEngine, stopsAfterEach, turningGif } from '../../helpers.ts';
import type { JournalledInteraction } from '../../../src/bots/discord/CartoonJobs.ts';
import { openCommunity } from '../../../src/bots/shared/community.ts';
import { Journal } from '../../../src/bots/shared/Journal.ts';
import { APP_ID, FakeDiscord, type RestCall } from '../../../dev/standins/discord/FakeDiscord.ts';
import { ann, ben, button, contextMenu, GUILD_ID, slash, wei } from '../../../dev/standins/discord/payloads.ts';

let engine: Engine;
let discord: FakeDiscord;
let bot: DiscordBot | undefined;
const TOKEN = 'MTEwMDAw.fake.discord-token-for-tests-only';

sharedEngine(undefined, (e) => (engine = e));
const stopping = stopsAfterEach();

async function startBot(overrides: Partial<DiscordOptions> = {}): Promise<void> {
  discord = stopping(new FakeDiscord());
  await discord.start();
  bot = stopping(await DiscordBot.start(engine, { ...DISCORD_DEFAULTS, token: TOKEN, applicationId: APP_ID, apiRoot: discord.apiRoot, attachmentHosts: ['127.0.0.1'], ...overrides }, silentLogger));
}

async function photo(name: string, source = fixture('coffee.png')) {
  const data = await sharp(source).jpeg({ quality: 90 }).toBuffer();
  const meta = await sharp(data).metadata();
  return { url: discord.attachment(name, data), size: data.length, contentType: 'image/jpeg', width: meta.width, height: meta.height, filename: name };
}

const isCallback = (token: string) => (c: RestCall) => c.method === 'POST' && c.path.includes(`/${token}/callback`);
const isFinal = (token: string) => (c: RestCall) => c.method === 'PATCH' && c.path.includes(`/${token}/`) && c.files.length > 0;
const isEdit = (token: string) => (c: RestCall) => c.method === 'PATCH' && c.path.includes(`/${token}/`);
/** Sends an interaction and waits for the text its deferred reply is edited to. */
async function answer(interaction: { token: string }): Promise<string> {
  discord.dispatch('INTERACTION_CREATE', interaction);
  return ((await discord.waitFor(isEdit(interaction.token))).body as { content: string }).content;
}
type Embed = { fields: { name: string; value: string }[]; footer: { text: string }; image: { url: string } };

describe('Discord /cartoon', () => {
  it('defers first, then edits in the cartoon with an embed of settings and timings, and the buttons', async () => {
    await startBot();
    const image = await photo('a.jpg');
    const interaction = slash(ann, image, { resolution: 512, strength: 0.8 });
    discord.dispatch('INTERACTION_CREATE', interaction);
    const final = await discord.waitFor(isFinal(interaction.token));
    const calls = discord.calls.filter((c) => c.path.includes(interaction.token) || c.path.startsWith('/attachments/a.jpg'));
    // The deferral comes before anything else, the download included.
    expect(calls[0]?.path).toContain('/callback');
    expect(calls[0]?.body).toEqual({ type: 5, data: { flags: 0 } });
    expect(calls[1]?.path).toBe('/attachments/a.jpg');

    const file = final.files[0];
    expect(file?.name).toBe('cartoon.png');
    const meta = await sharp(file?.data).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([512, 341, 'png']);
    const body = final.body as { content: string; embeds: Embed[]; components: { components: { custom_id: string; disabled?: boolean }[] }[] };
    const embed = body.embeds[0] as Embed;
    expect(embed.fields).toEqual([
      { name: 'Strength', value: '0.8', inline: true },
      { name: 'Resolution', value: '512x341', inline: true },
      { name: 'Style', value: 'toon', inline: true },
    ]);
    expect(embed.footer.text).toMatch(/^⏱ queue \d+\.\d s · processing \d+\.\d s · total \d+\.\d s$/);
    expect(embed.image.url).toBe('attachment://cartoon.png');
    expect(body.components[0]?.components.map((c) => c.custom_id)).toEqual(['toon:stronger', 'toon:softer', 'toon:delete']);
  });

  it('answers an animated GIF with an animated GIF in the embed, and an MP4 with an MP4 attachment', async () => {
    await startBot();
    const gif = await turningGif('coffee.png', 160, 120, { step: 10, delayMs: 120 });
    const gifSlash = slash(ann, { url: discord.attachment('a.gif', gif), size: gif.length, contentType: 'image/gif', width: 160, height: 120, filename: 'a.gif' });
    discord.dispatch('INTERACTION_CREATE', gifSlash);
    const final = await discord.waitFor(isFinal(gifSlash.token));
    expect(final.files[0]?.name).toBe('cartoon.gif');
    expect((await sharp(final.files[0]?.data).metadata()).pages).toBe(3);
    expect(((final.body as { embeds: Embed[] }).embeds[0] as Embed).image.url).toBe('attachment://cartoon.gif');
    // While it was drawn, the deferred reply counted its frames.
    expect(discord.calls.some((c) => isEdit(gifSlash.token)(c) && /^Cartoonising… frame \d\/3$/.test((c.body as { content?: string }).content ?? ''))).toBe(true);

    const frame = await sharp(fixture('coffee.png')).resize(160, 120, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const mp4 = await clipOf([frame, frame, frame], 160, 120);
    const videoSlash = slash(ben, { url: discord.attachment('v.mp4', mp4), size: mp4.length, contentType: 'video/mp4', width: 160, height: 120, filename: 'v.mp4' });
    discord.dispatch('INTERACTION_CREATE', videoSlash);
    const video = await discord.waitFor(isFinal(videoSlash.token));
    expect(video.files[0]?.name).toBe('cartoon.mp4');
    expect(video.files[0]?.data.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(((video.body as { embeds: Embed[] }).embeds[0] as Partial<Embed>).image).toBeUndefined();

    // A server whose upload limit the clip exceeds gets it compressed harder and smaller, still moving.
    const limit = Math.floor((video.files[0]?.data.length ?? 0) * 0.6);
    const tight = slash(ben, { url: discord.attachment('t.mp4', mp4), size: mp4.length, contentType: 'video/mp4', width: 160, height: 120, filename: 't.mp4' }, {}, { attachmentSizeLimit: limit });
    discord.dispatch('INTERACTION_CREATE', tight);
    const fitted = await discord.waitFor(isFinal(tight.token));
    const file = fitted.files[0]?.data ?? Buffer.alloc(0);
    expect(file.length).toBeLessThanOrEqual(limit);
    expect(file.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect((await framesOf(file)).length).toBe(3);
  });

  it('shows the place in line to a waiting user as the line moves', async () => {
    await startBot();
    const first = slash(ann, await photo('big.jpg', fixture('astronaut.png')), { resolution: 2048 });
    const second = slash(ben, await photo('small.jpg'), { resolution: 512 });
    discord.dispatch('INTERACTION_CREATE', first);
    await discord.waitFor((c) => c.path === '/attachments/big.jpg');
    discord.dispatch('INTERACTION_CREATE', second);
    const inLine = await discord.waitFor((c) => isEdit(second.token)(c) && (c.body as { content?: string })?.content === '#1 in line…');
    const final = await discord.waitFor(isFinal(second.token));
    expect(final.at).toBeGreaterThanOrEqual(inLine.at);
  });

  it('keeps a private request private: ephemeral deferral, and its errors stay in it', async () => {
    await startBot();
    const ok = slash(ann, await photo('p.jpg'), { resolution: 256, private: true });
    discord.dispatch('INTERACTION_CREATE', ok);
    expect((await discord.waitFor(isCallback(ok.token))).body).toEqual({ type: 5, data: { flags: 64 } });
    await discord.waitFor(isFinal(ok.token));

    const bad = slash(ann, { url: discord.attachment('notes.txt', Buffer.from('hello')), size: 5, contentType: 'text/plain', filename: 'notes.txt' }, { private: true });
    discord.dispatch('INTERACTION_CREATE', bad);
    expect((await discord.waitFor(isCallback(bad.token))).body).toEqual({ type: 5, data: { flags: 64 } });
    const error = await discord.waitFor(isEdit(bad.token));
    expect((error.body as { content: string }).content).toBe('⚠️ That is not an image I can read. Send a photo (JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF).');
    expect(discord.calls.some((c) => c.path === '/attachments/notes.txt')).toBe(false);
  });

  it('answers in Simplified Chinese for a zh-CN user', async () => {
    await startBot();
    const interaction = slash(wei, await photo('zh.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', interaction);
    const final = await discord.waitFor(isFinal(interaction.token));
    const embed = (final.body as { embeds: Embed[] }).embeds[0] as Embed;
    expect(embed.fields.map((f) => f.name)).toEqual(['强度', '分辨率', '风格']);
    expect(embed.footer.text).toMatch(/^⏱ 排队/);
  });
});

describe('Discord input checks, before any download', () => {
  it('refuses an attachment over the size cap, or over the pixel limit, without downloading it', async () => {
    await startBot({ maxDownloadBytes: 1024 * 1024 });
    const big = slash(ann, { url: discord.attachment('huge.jpg', Buffer.alloc(10)), size: 30 * 1024 * 1024, contentType: 'image/jpeg', width: 4000, height: 3000 });
    expect(await answer(big)).toMatch(/^⚠️ That image is too large/);
    const wide = slash(ann, { url: discord.attachment('wide.jpg', Buffer.alloc(10)), size: 1000, contentType: 'image/jpeg', width: 10_000, height: 5000 });
    discord.dispatch('INTERACTION_CREATE', wide);
    const second = await discord.waitFor(isEdit(wide.token));
    expect((second.body as { content: string }).content).toMatch(/too large/);
    expect(discord.calls.some((c) => c.path.startsWith('/attachments/'))).toBe(false);
  });

  it('downloads only from allowed hosts', async () => {
    await startBot({ attachmentHosts: ['cdn.discordapp.com'] });
    const elsewhere = slash(ann, await photo('x.jpg'));
    expect(await answer(elsewhere)).toBe('⚠️ I could not download that attachment. Upload it to Discord directly and try again.');
    expect(discord.calls.some((c) => c.path === '/attachments/x.jpg')).toBe(false);
  });

  it('never reads a local file named by a payload (file: URL), whatever the allowlist', async () => {
    await startBot({ attachmentHosts: ['127.0.0.1', ''] });
    const local = slash(ann, { url: `file://${fileURLToPath(import.meta.url)}`, size: 100, contentType: 'image/jpeg', width: 10, height: 10, filename: 'x.jpg' });
    expect(await answer(local)).toBe('⚠️ I could not download that attachment. Upload it to Discord directly and try again.');
  });
});

describe('Discord admission', () => {
  it("refuses up front a job that could not finish within the interaction token's 15 minutes", async () => {
    await startBot({ tokenLifetimeMs: 1 });
    const interaction = slash(ann, await photo('late.jpg'));
    expect(await answer(interaction)).toBe("⚠️ The line is too long to finish within Discord's 15 minutes. Try again in a few minutes.");
    expect(discord.calls.some((c) => c.path === '/attachments/late.jpg')).toBe(false);
  });

  it('caps the jobs one server may have in line', async () => {
    await startBot({ maxJobsPerGuild: 1 });
    const first = slash(ann, await photo('g1.jpg', fixture('astronaut.png')), { resolution: 2048 });
    const second = slash(ben, await photo('g2.jpg'), { resolution: 256 });
    discord.dispatch('INTERACTION_CREATE', first);
    await discord.waitFor((c) => c.path === '/attachments/g1.jpg');
    discord.dispatch('INTERACTION_CREATE', second);
    const refused = await discord.waitFor(isEdit(second.token));
    expect((refused.body as { content: string }).content).toBe('⚠️ This server already has many photos in line. Try again in a minute.');
    await discord.waitFor(isFinal(first.token));
  });
});

describe('Discord output size', () => {
  it("re-encodes a result larger than the interaction's upload limit instead of failing", async () => {
    await startBot();
    const interaction = slash(ann, await photo('l.jpg', fixture('astronaut.png')), { resolution: 1024 }, { attachmentSizeLimit: 150_000 });
    discord.dispatch('INTERACTION_CREATE', interaction);
    const final = await discord.waitFor(isFinal(interaction.token));
    const file = final.files[0];
    expect(file?.data.length).toBeLessThanOrEqual(150_000);
    expect(file?.name).toMatch(/\.(jpg|webp)$/);
    expect((await sharp(file?.data).metadata()).width).toBeGreaterThan(0);
    expect(((final.body as { embeds: Embed[] }).embeds[0] as Embed).footer.text).toContain("made smaller to fit Discord's upload limit");
  });
});

describe('Discord context menu and buttons', () => {
  it('"Cartoonize" on a message runs each image attachment with the defaults', async () => {
    await startBot();
    const interaction = contextMenu(ann, ben, [
      await photo('c1.jpg'),
      { url: discord.attachment('readme.txt', Buffer.from('text')), size: 4, contentType: 'text/plain', filename: 'readme.txt' },
      await photo('c2.jpg', fixture('chelsea.png')),
    ]);
    discord.dispatch('INTERACTION_CREATE', interaction);
    const final = await discord.waitFor(isFinal(interaction.token), 30_000);
    expect(final.files.map((f) => f.name)).toEqual(['cartoon-1.png', 'cartoon-2.png']);
    const widths = await Promise.all(final.files.map(async (f) => (await sharp(f.data).metadata()).width));
    expect(widths).toEqual([1024, 1024]);
    expect(discord.calls.some((c) => c.path === '/attachments/readme.txt')).toBe(false);
  });

  it('"Stronger" re-runs the same image at +0.2; "Delete" is refused to others and works for the requester', async () => {
    await startBot();
    const interaction = slash(ann, await photo('b.jpg'), { resolution: 256, strength: 0.5 });
    discord.dispatch('INTERACTION_CREATE', interaction);
    await discord.waitFor(isFinal(interaction.token));
    const resultId = discord.originalId(interaction.token);

    const stronger = button(ben, resultId, 'toon:stronger');
    discord.dispatch('INTERACTION_CREATE', stronger);
    const rerun = await discord.waitFor(isFinal(stronger.token));
    const fields = ((rerun.body as { embeds: Embed[] }).embeds[0] as Embed).fields;
    expect(fields[0]).toEqual({ name: 'Strength', value: '0.7', inline: true });
    expect(discord.calls.filter((c) => c.path === '/attachments/b.jpg')).toHaveLength(2);

    const notYours = button(ben, resultId, 'toon:delete');
    discord.dispatch('INTERACTION_CREATE', notYours);
    const refused = await discord.waitFor(isCallback(notYours.token));
    expect(refused.body).toMatchObject({ type: 4, data: { content: `Only <@${ann.id}> can delete this.`, flags: 64 } });
    expect(discord.calls.some((c) => c.method === 'DELETE')).toBe(false);

    const mine = button(ann, resultId, 'toon:delete');
    discord.dispatch('INTERACTION_CREATE', mine);
    expect((await discord.waitFor(isCallback(mine.token))).body).toEqual({ type: 6 });
    await discord.waitFor((c) => c.method === 'DELETE' && c.path.includes(`/${mine.token}/messages/@original`));
  });
});

describe('Discord: answering after a restart (scale-out mode)', () => {
  it("edits the interaction's reply through its webhook: the cartoon, or the error; nothing once the token expired", async () => {
    await startBot();
    const result = await engine.submit({ image: fixture('coffee.png'), options: { resolution: 256 } });
    const live = { platform: 'discord', applicationId: APP_ID, token: 'late-token-1', lang: 'zh-CN', expiresAt: Date.now() + 60_000 };
    await (bot as DiscordBot).answerLater(live, { result });
    const edit = discord.calls.find((c) => c.method === 'PATCH' && c.path === `/api/v10/webhooks/${APP_ID}/late-token-1/messages/@original`);
    expect(edit?.files.map((f) => f.name)).toEqual(['cartoon.png']);
    expect((await sharp(edit?.files[0]?.data as Buffer).metadata()).width).toBe(256);
    expect(String((edit?.body as { content: string }).content)).toMatch(/^⏱ 排队/);
    await (bot as DiscordBot).answerLater({ ...live, token: 'late-token-2', lang: 'en' }, { error: new ToonError('TIMEOUT') });
    const refused = discord.calls.find((c) => c.path.includes('/late-token-2/'));
    expect((refused?.body as { content: string }).content).toBe(`⚠️ ${DEFAULT_MESSAGES.TIMEOUT}`);
    const before = discord.calls.length;
    await (bot as DiscordBot).answerLater({ ...live, token: 'late-token-3', expiresAt: Date.now() - 1 }, { result });
    expect(discord.calls.slice(before).filter((c) => c.path.includes('late-token-3'))).toEqual([]);
  });
});

describe('npm run register', () => {
  it("puts every command with one bulk overwrite, to the guild when one is set, else globally; the owners' one hidden from members", async () => {
    discord = stopping(new FakeDiscord());
    await discord.start();
    const styles = engine.styles();
    await registerCommands({ token: TOKEN, applicationId: APP_ID, guildId: GUILD_ID, apiRoot: discord.apiRoot }, styles);
    await registerCommands({ token: TOKEN, applicationId: APP_ID, apiRoot: discord.apiRoot }, styles);
    const puts = discord.calls.filter((c) => c.method === 'PUT');
    expect(puts.map((c) => c.path)).toEqual([`/api/v10/applications/${APP_ID}/guilds/${GUILD_ID}/commands`, `/api/v10/applications/${APP_ID}/commands`]);
    expect(puts[0]?.body).toEqual(puts[1]?.body);
    expect(puts[0]?.body).toEqual(commandDefinitions(styles));
    const [cartoon, menu, queue, owner] = puts[0]?.body as Record<string, unknown>[];
    expect(queue).toMatchObject({ type: 1, name: 'queue' });
    // No default permissions: members do not see it; admins may grant it. The bot checks owners anyway.
    expect(owner).toMatchObject({ type: 1, name: 'toonbot', default_member_permissions: '0' });
    expect((owner?.options as { name: string; type: number }[]).map((o) => [o.name, o.type])).toEqual([
      ['stats', 1],
      ['block', 1],
      ['unblock', 1],
      ['allow', 1],
      ['disallow', 1],
    ]);
    const { options, ...command } = cartoon as { options: Record<string, unknown>[] };
    expect(command).toEqual({
      type: 1,
      name: 'cartoon',
      name_localizations: { 'zh-CN': '卡通化' },
      description: 'Turn a photo into a cartoon',
      description_localizations: { 'zh-CN': '把照片变成卡通' },
    });
    expect(menu).toEqual({ type: 3, name: 'Cartoonize', name_localizations: { 'zh-CN': '卡通化' } });
    // Every option: its type, names and descriptions in both languages, whether required; nothing else but limits and choices.
    const zh = (field: unknown): unknown => (field as Record<string, unknown>)['zh-CN'];
    expect(options.map((o) => [o.type, o.name, zh(o.name_localizations), o.description, zh(o.description_localizations), o.required])).toEqual([
      [11, 'image', '图片', 'A photo, GIF or short video', '照片、GIF 或短视频', true],
      [10, 'strength', '强度', 'From a touch (0.1) to the full cartoon (1.0); default 0.7', '从轻微（0.1）到完全卡通（1.0），默认 0.7', false],
      [4, 'resolution', '分辨率', 'Long side of the result in pixels; default 1024', '结果长边的像素数，默认 1024', false],
      [3, 'style', '风格', 'Cartoon style', '卡通风格', false],
      [3, 'format', '格式', 'File format; default png', '文件格式，默认 png', false],
      [5, 'private', '私密', 'Only you see the result', '只有你能看到结果', false],
    ]);
    const common = ['type', 'name', 'name_localizations', 'description', 'description_localizations', 'required'];
    expect(options.map((o) => Object.fromEntries(Object.entries(o).filter(([key]) => !common.includes(key))))).toEqual([
      {},
      { min_value: 0.1, max_value: 1 },
      { choices: [512, 768, 1024, 1536, 2048].map((r) => ({ name: `${r} px`, value: r })) },
      {
        choices: [
          { name: 'Comic', value: 'comic' },
          { name: 'Manga', value: 'manga' },
          { name: 'Sketch', value: 'sketch' },
          { name: 'Toon', value: 'toon' },
        ],
      },
      { choices: ['png', 'jpeg', 'webp'].map((f) => ({ name: f, value: f })) },
      {},
    ]);
  });
});

describe('Discord: the journal of a killed run (embedded mode)', () => {
  it('edits in the cartoon of a job whose token lives; logs one whose token died, with its requester, and sends nothing', async () => {
    discord = stopping(new FakeDiscord());
    await discord.start();
    const folder = await mkdtemp(path.join(os.tmpdir(), 'toonbot-discord-journal-'));
    const file = path.join(folder, 'journal.log');
    const before = await Journal.open(file, silentLogger);
    const image = await photo('late.jpg');
    const job = (token: string, createdTimestamp: number): JournalledInteraction => ({
      platform: 'discord',
      interaction: {
        id: `i-${token}`,
        applicationId: APP_ID,
        token,
        guildId: GUILD_ID,
        channelId: null,
        locale: Locale.EnglishUS,
        createdTimestamp,
        attachmentSizeLimit: 8 << 20,
        user: { id: ben.id },
      },
      lang: 'en',
      sources: [{ ...image, name: image.filename, contentType: image.contentType, width: image.width ?? null, height: image.height ?? null }],
      options: engine.parseOptions({ resolution: 256 }),
      ephemeral: false,
    });
    await before.add('discord:i-old', job('old-token', Date.now() - 20 * 60_000));
    await before.add('discord:i-live', job('live-token', Date.now() - 60_000));
    await before.close();

    const log = recordingLogger();
    const journal = await Journal.open(file, log);
    bot = stopping(
      await DiscordBot.start(engine, { ...DISCORD_DEFAULTS, token: TOKEN, applicationId: APP_ID, apiRoot: discord.apiRoot, attachmentHosts: ['127.0.0.1'] }, log, { ...openCommunity(log), journal }),
    );
    const final = await discord.waitFor(isFinal('live-token'));
    expect((await sharp(final.files[0]?.data).metadata()).width).toBe(256);
    await bot.idle();
    expect(discord.calls.filter((c) => c.path.includes('old-token'))).toEqual([]);
    expect(log.lines).toContain('warn discord: a job from before the restart cannot be answered: its interaction token has expired');
    expect(journal.stats().jobs).toBe(0);
    await journal.close();
    await rm(folder, { recursive: true, force: true });
  });
});
