/**
 * The Telegram adapter end to end: the real telegraf client, long-polling a local Bot API server,
 * the real engine and built-in model. Assertions are on what the user would see.
 */
import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { TelegramBot, TELEGRAM_DEFAULTS, type TelegramOptions } from '../../../src/bots/telegram/index.ts';
import { createEngine, type Engine, type Logger } from '../../../src/engine/index.ts';
import { clipOf, fixture, freePort, scratchFolder, sharedEngine } from '../../helpers.ts';
import { FakeBotApi, type Call } from '../../../dev/standins/telegram/FakeBotApi.ts';
import { alice, animationMessage, bob, callbackQuery, documentMessage, group, li, photoMessage, privateChat, textMessage, videoNoteMessage } from '../../../dev/standins/telegram/updates.ts';

let engine: Engine;
const scratch = scratchFolder('toonbot-tg-');
let api: FakeBotApi;
let bot: TelegramBot | undefined;
const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
const sleeps: number[] = [];

const logger: Logger = {
  debug: () => undefined,
  info: (msg, fields) => logs.push({ level: 'info', msg, ...(fields ? { fields } : {}) }),
  warn: (msg, fields) => logs.push({ level: 'warn', msg, ...(fields ? { fields } : {}) }),
  error: (msg, fields) => logs.push({ level: 'error', msg, ...(fields ? { fields } : {}) }),
};

sharedEngine(undefined, (e) => (engine = e));
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  await api?.stop();
  logs.length = 0;
  sleeps.length = 0;
});

async function startBot(overrides: Partial<TelegramOptions> = {}, withEngine: Engine = engine): Promise<TelegramBot> {
  api ??= new FakeBotApi();
  if (!api.apiRoot) await api.start();
  bot = await TelegramBot.start(
    withEngine,
    {
      ...TELEGRAM_DEFAULTS,
      token: api.token,
      apiRoot: api.apiRoot,
      settingsPath: path.join(scratch.path, `settings-${Math.random().toString(36).slice(2)}.json`),
      albumQuietMs: 200,
      retry: { attempts: 4, maxWaitS: 60, sleep: async (ms) => void sleeps.push(ms) },
      ...overrides,
    },
    logger,
  );
  return bot;
}

function freshApi(): FakeBotApi {
  api = new FakeBotApi();
  return api;
}

/** Registers a photo's two sizes with the fake server; the large one is the real picture. */
async function addPhoto(id: string, image: Buffer = fixture('coffee.png')): Promise<{ small: string; large: string }> {
  const jpeg = await sharp(image).jpeg({ quality: 90 }).toBuffer();
  api.addFile(`${id}-s`, await sharp(image).resize(90).jpeg().toBuffer());
  api.addFile(`${id}-l`, jpeg);
  return { small: `${id}-s`, large: `${id}-l` };
}

async function decoded(file: { data: Buffer } | undefined) {
  expect(file).toBeDefined();
  return sharp(file?.data).metadata();
}

const sentTo = (chatId: number) => (c: Call) => Number(c.params.chat_id) === chatId;

/** `user` sends a photo in a private chat; resolves with the text the bot answers with. */
async function textAnswerTo(user: typeof alice, photoId: string): Promise<string> {
  api.push({ message: photoMessage(privateChat(user), user, await addPhoto(photoId), { caption: 'res=256' }) });
  return String((await api.waitFor((c) => c.method === 'sendMessage' && sentTo(user.id)(c))).params.text);
}

describe('Telegram: private chat', () => {
  it('answers a photo with a cartoon photo replying to it, timings in the caption; a JPEG, as Telegram keeps photos', async () => {
    freshApi();
    await startBot();
    const ids = await addPhoto('p1');
    const msg = photoMessage(privateChat(alice), alice, ids);
    api.push({ message: msg });
    const sent = await api.waitFor((c) => c.method === 'sendPhoto');
    const meta = await decoded(sent.files.photo);
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(1024);
    // Telegram re-encodes photos as JPEG anyway: a photo-grade JPEG, not a PNG ten times larger.
    expect([meta.format, meta.chromaSubsampling, sent.files.photo?.name]).toEqual(['jpeg', '4:2:0', 'cartoon.jpg']);
    expect(sent.files.photo?.data.length).toBeLessThan(200_000);
    expect(sent.params.caption).toMatch(/^⏱ queue \d+\.\d s · processing \d+\.\d s · total \d+\.\d s$/);
    expect(sent.params.reply_parameters).toMatchObject({ message_id: msg.message_id });
    // The largest PhotoSize was fetched, and "sending a photo…" was shown while working.
    expect(api.callsTo('getFile').map((c) => c.params.file_id)).toEqual(['p1-l']);
    expect(api.callsTo('sendChatAction')[0]?.params).toMatchObject({ chat_id: alice.id, action: 'upload_photo' });
  });

  it('answers an image sent as a file with a lossless file of the same name', async () => {
    freshApi();
    await startBot();
    api.addFile('d1', fixture('chelsea.png'));
    api.push({ message: documentMessage(privateChat(alice), alice, { file_id: 'd1', file_name: 'my cat.png', mime_type: 'image/png', file_size: 240_512 }, 'res=512') });
    const sent = await api.waitFor((c) => c.method === 'sendDocument');
    expect(sent.files.document?.name).toBe('my cat.toon.png');
    const meta = await decoded(sent.files.document);
    expect([meta.width, meta.height, meta.format]).toEqual([512, 341, 'png']);
    expect(api.callsTo('sendChatAction')[0]?.params.action).toBe('upload_document');
  });

  it('sends a result over the photo upload limit as a document instead', async () => {
    freshApi();
    await startBot({ maxPhotoBytes: 10_000 });
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('big'), { caption: 'res=512' }) });
    const sent = await api.waitFor((c) => c.method === 'sendDocument');
    expect(sent.files.document?.data.length).toBeGreaterThan(10_000);
    expect(sent.files.document?.name).toBe('cartoon.jpg');
    expect((await decoded(sent.files.document)).width).toBe(512);
    expect(api.callsTo('sendPhoto')).toHaveLength(0);
  });

  it('reads options from the caption, with or without the command', async () => {
    freshApi();
    await startBot();
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('o1'), { caption: '/cartoon 0.8 512 webp' }) });
    const first = await api.waitFor((c) => c.method === 'sendPhoto');
    const meta = await decoded(first.files.photo);
    expect([meta.format, Math.max(meta.width ?? 0, meta.height ?? 0)]).toEqual(['webp', 512]);

    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('o2'), { caption: 'strength=0.5 res=300 format=jpeg' }) });
    const second = await api.waitFor((c) => c.method === 'sendPhoto' && c !== first);
    const meta2 = await decoded(second.files.photo);
    expect([meta2.format, Math.max(meta2.width ?? 0, meta2.height ?? 0)]).toEqual(['jpeg', 300]);
  });

  it('draws faces in every look and says nothing about faces on a scene; the old style name toon-portrait still works', async () => {
    freshApi();
    await startBot();
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('cat', fixture('chelsea.png')), { caption: 'style=toon-portrait res=256' }) });
    const sent = await api.waitFor((c) => c.method === 'sendPhoto');
    // Only the timings: a look that finds no face has nothing to apologise for.
    expect(String(sent.params.caption).split('\n')).toHaveLength(1);
    expect(String(sent.params.caption)).toMatch(/^⏱ queue/);
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('face', fixture('astronaut.png')), { caption: 'manga res=256' }) });
    const second = await api.waitFor((c) => c.method === 'sendPhoto' && c !== sent);
    expect(String(second.params.caption)).not.toContain('No face');
    expect((await decoded(second.files.photo)).width).toBe(256);
  });

  it('names the option and its range when a value is out of range, and does no work', async () => {
    freshApi();
    await startBot();
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('bad'), { caption: '/cartoon strength=2' }) });
    const reply = await api.waitFor((c) => c.method === 'sendMessage');
    expect(reply.params.text).toBe('Strength must be a number from 0 to 1, like 0.7.');
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('bad2'), { caption: '/cartoon banana' }) });
    const second = await api.waitFor((c) => c.method === 'sendMessage' && c !== reply);
    expect(second.params.text).toContain('"banana"');
    expect(api.callsTo('getFile')).toHaveLength(0);
  });

  it('replies in Simplified Chinese to a zh user', async () => {
    freshApi();
    await startBot();
    api.push({ message: textMessage(privateChat(li), li, '/help') });
    const help = await api.waitFor((c) => c.method === 'sendMessage');
    expect(help.params.text).toContain('发给我一张照片');
    api.push({ message: photoMessage(privateChat(li), li, await addPhoto('zh'), { caption: 'res=256' }) });
    const sent = await api.waitFor((c) => c.method === 'sendPhoto');
    expect(sent.params.caption).toMatch(/^⏱ 排队 .* 秒 · 处理 .* 秒 · 总计 .* 秒$/);
  });
});

describe('Telegram: groups', () => {
  it("answers /cartoon sent as a reply to someone's photo, replying to the photo", async () => {
    freshApi();
    await startBot();
    const photo = photoMessage(group, bob, await addPhoto('g1'));
    api.push({ message: photo });
    api.push({ message: textMessage(group, alice, '/cartoon@toon_test_bot 512', photo) });
    const sent = await api.waitFor((c) => c.method === 'sendPhoto');
    expect(sent.params.chat_id).toBe(String(group.id));
    expect(sent.params.reply_parameters).toMatchObject({ message_id: photo.message_id });
    const meta = await decoded(sent.files.photo);
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(512);
    // The plain photo itself was not answered: exactly one result.
    await bot?.idle();
    expect(api.callsTo('sendPhoto')).toHaveLength(1);
  });

  it('ignores plain photos and commands for other bots, and acts on a caption command or a mention', async () => {
    freshApi();
    await startBot();
    api.push({ message: photoMessage(group, bob, await addPhoto('g2')) });
    api.push({ message: photoMessage(group, bob, await addPhoto('g3'), { caption: '/cartoon@some_other_bot' }) });
    api.push({ message: photoMessage(group, bob, await addPhoto('g4'), { caption: '/cartoon res=256' }) });
    api.push({ message: photoMessage(group, bob, await addPhoto('g5'), { caption: '@toon_test_bot res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto');
    await new Promise((r) => setTimeout(r, 50));
    await bot?.idle();
    expect(
      api
        .callsTo('getFile')
        .map((c) => c.params.file_id)
        .sort(),
    ).toEqual(['g4-l', 'g5-l']);
    expect(api.callsTo('sendPhoto')).toHaveLength(2);
  });
});

describe('Telegram: clips', () => {
  /** A short clip of a photo moving slowly to the right: `frames` frames at 15 fps. */
  async function clip(image: Buffer, width: number, height: number, frames = 6): Promise<Buffer> {
    const wide = await sharp(image)
      .resize(width + 2 * frames, height, { fit: 'cover' })
      .removeAlpha()
      .raw()
      .toBuffer();
    const rows = Array.from({ length: frames }, (_, t) => {
      const f = Buffer.alloc(width * height * 3);
      for (let y = 0; y < height; y += 1) wide.copy(f, y * width * 3, (y * (width + 2 * frames) + 2 * t) * 3, (y * (width + 2 * frames) + 2 * t + width) * 3);
      return f;
    });
    return clipOf(rows, width, height);
  }

  it('answers a GIF (an MP4 animation) with a cartoon animation replying to it, timings in the caption', async () => {
    freshApi();
    await startBot();
    const bytes = await clip(fixture('coffee.png'), 240, 160);
    api.addFile('gif1', bytes);
    const message = animationMessage(privateChat(alice), alice, { file_id: 'gif1', file_size: bytes.length, width: 240, height: 160, duration: 1 });
    api.push({ message });
    const sent = await api.waitFor((c) => c.method === 'sendAnimation');
    expect(sent.params.reply_parameters).toMatchObject({ message_id: message.message_id });
    expect(String(sent.params.caption)).toMatch(/total/);
    expect(sent.files.animation?.data.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(api.callsTo('sendChatAction').map((c) => c.params.action)).toContain('upload_video');
    // While it was drawn, its frames were counted in a status message, removed once the clip was sent.
    const status = api.callsTo('sendMessage').find((c) => /^Cartoonising… frame \d+\/\d+$/.test(String(c.params.text)));
    expect(status).toBeDefined();
    await api.waitFor((c) => c.method === 'deleteMessage');
  });

  it('answers a round video note with a round video note (square, under 640 px), then its timings', async () => {
    freshApi();
    await startBot();
    const bytes = await clip(fixture('astronaut.png'), 384, 384);
    api.addFile('note1', bytes);
    const message = videoNoteMessage(privateChat(bob), bob, { file_id: 'note1', file_size: bytes.length, length: 384, duration: 1 });
    api.push({ message });
    const sent = await api.waitFor((c) => c.method === 'sendVideoNote');
    expect(sent.params).toMatchObject({ length: '384', reply_parameters: { message_id: message.message_id } });
    const text = await api.waitFor((c) => c.method === 'sendMessage' && /total/.test(String(c.params.text)));
    expect(Number(text.params.chat_id)).toBe(bob.id);
  });

  it('in a group, answers /cartoon replying to a GIF; a clip too long gets its length and the limit', async () => {
    freshApi();
    await startBot();
    const bytes = await clip(fixture('chelsea.png'), 200, 134);
    api.addFile('gif2', bytes);
    const gif = animationMessage(group, bob, { file_id: 'gif2', file_size: bytes.length, width: 200, height: 134, duration: 1 });
    api.push({ message: gif });
    api.push({ message: textMessage(group, alice, '/cartoon@toon_test_bot', gif) });
    const sent = await api.waitFor((c) => c.method === 'sendAnimation');
    expect(sent.params.reply_parameters).toMatchObject({ message_id: gif.message_id });

    const long = await clipOf(
      Array.from({ length: 20 }, () => Buffer.alloc(64 * 64 * 3, 90)),
      64,
      64,
      { fps: 1 },
    );
    api.addFile('long1', long);
    api.push({ message: animationMessage(privateChat(alice), alice, { file_id: 'long1', file_size: long.length, width: 64, height: 64, duration: 20 }) });
    const refused = await api.waitFor((c) => c.method === 'sendMessage' && /20 s long/.test(String(c.params.text)));
    expect(refused.params.text).toBe('That clip is 20 s long; I cartoonise clips of up to 15 s. Trim it and send it again.');
  });
});

describe('Telegram: albums', () => {
  it('answers an album of 3 with one album of 3 cartoons', async () => {
    freshApi();
    await startBot();
    const chat = privateChat(alice);
    const items = [
      photoMessage(chat, alice, await addPhoto('a1'), { media_group_id: 'mg1', caption: 'res=256' }),
      photoMessage(chat, alice, await addPhoto('a2', fixture('chelsea.png')), { media_group_id: 'mg1' }),
      photoMessage(chat, alice, await addPhoto('a3', fixture('astronaut.png')), { media_group_id: 'mg1' }),
    ];
    for (const m of items) api.push({ message: m });
    const album = await api.waitFor((c) => c.method === 'sendMediaGroup');
    const media = album.params.media as { type: string; media: string; caption?: string }[];
    expect(media.map((m) => m.type)).toEqual(['photo', 'photo', 'photo']);
    expect(media[0]?.caption).toMatch(/^⏱ queue/);
    const uploads = media.map((m) => album.files[m.media.replace('attach://', '')]);
    const sizes = await Promise.all(uploads.map(async (f) => (await decoded(f)).width));
    expect(sizes).toEqual([256, 256, 256]);
    expect(api.callsTo('sendPhoto')).toHaveLength(0);
  });
});

describe('Telegram: settings', () => {
  it("saves a chat's defaults from the inline keyboard, and keeps them across a restart", async () => {
    freshApi();
    const settingsPath = path.join(scratch.path, 'persist.json');
    await startBot({ settingsPath });
    api.push({ message: textMessage(privateChat(alice), alice, '/settings') });
    const menu = await api.waitFor((c) => c.method === 'sendMessage');
    const keyboard = (menu.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard;
    // Four styles, on one row with their label (toon-portrait is an alias of toon now, not offered).
    expect(keyboard.map((row) => row[0]?.text)).toEqual(['Strength:', 'Resolution:', 'Style:', 'Format:']);
    expect(keyboard[2]?.map((b) => b.text)).toEqual(['Style:', 'comic', 'manga', 'sketch', '✓ toon']);
    expect(keyboard[1]?.map((b) => b.text)).toEqual(['Resolution:', '512', '✓ 1024', '2048']);
    expect(keyboard.every((row) => row.length <= 5)).toBe(true);
    const menuMessage = { message_id: 9001, date: 0, chat: privateChat(alice), from: { is_bot: true, id: 4242, first_name: 'ToonBot' }, text: menu.params.text };
    api.push({ callback_query: callbackQuery(alice, menuMessage, 'set:resolution:512') });
    await api.waitFor((c) => c.method === 'answerCallbackQuery');
    const edited = await api.waitFor((c) => c.method === 'editMessageText');
    expect(edited.params.text).toContain('resolution 512');

    await bot?.stop();
    await startBot({ settingsPath });
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('s1')) });
    const sent = await api.waitFor((c) => c.method === 'sendPhoto');
    expect((await decoded(sent.files.photo)).width).toBe(512);
  });
});

/** A fresh bot whose first sendPhoto Telegram refuses with `error`; returns once the photo's job is over. */
async function photoRefusedBySend(error: { error_code: number; description: string }, photoId: string): Promise<void> {
  freshApi();
  await startBot();
  api.fail('sendPhoto', error);
  api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto(photoId), { caption: 'res=256' }) });
  await api.waitFor((c) => c.method === 'sendPhoto');
  await bot?.idle();
}

describe('Telegram: errors', () => {
  it('says a corrupt image is damaged, and keeps serving', async () => {
    freshApi();
    await startBot();
    const jpeg = await sharp(fixture('coffee.png')).jpeg().toBuffer();
    api.addFile('c-s', jpeg.subarray(0, 100));
    api.addFile('c-l', jpeg.subarray(0, jpeg.length >> 1));
    api.push({ message: photoMessage(privateChat(alice), alice, { small: 'c-s', large: 'c-l' }) });
    const reply = await api.waitFor((c) => c.method === 'sendMessage');
    expect(reply.params.text).toBe('That image looks damaged or incomplete. Try sending it again.');
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('ok'), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto');
  });

  it('refuses a file over the 20 MB download limit without fetching it, and a non-image without fetching it', async () => {
    freshApi();
    await startBot();
    api.addFile('huge', Buffer.alloc(10), 25_000_000);
    api.push({ message: documentMessage(privateChat(alice), alice, { file_id: 'huge', file_name: 'big.jpg', mime_type: 'image/jpeg', file_size: 25_000_000 }) });
    const reply = await api.waitFor((c) => c.method === 'sendMessage');
    expect(reply.params.text).toContain('larger than 20 MB');
    api.push({ message: documentMessage(privateChat(alice), alice, { file_id: 'pdf', file_name: 'cv.pdf', mime_type: 'application/pdf', file_size: 1000 }) });
    const second = await api.waitFor((c) => c.method === 'sendMessage' && c !== reply);
    expect(second.params.text).toMatch(/^That is not an image I can read/);
    expect(api.callsTo('getFile')).toHaveLength(0);
  });

  it('tells the second user the line is full when the queue is at its bound', async () => {
    freshApi();
    const tight = await createEngine({ queue: { maxWaiting: 0 } });
    try {
      await startBot({}, tight);
      api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('q1', fixture('astronaut.png')), { caption: 'res=2048' }) });
      api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto('q2'), { caption: 'res=2048' }) });
      const full = await api.waitFor((c) => c.method === 'sendMessage' && /line is full/.test(String(c.params.text)));
      await api.waitFor((c) => c.method === 'sendPhoto');
      await bot?.idle();
      expect(api.callsTo('sendPhoto')).toHaveLength(1);
      expect(Number(api.callsTo('sendPhoto')[0]?.params.chat_id)).not.toBe(Number(full.params.chat_id));
    } finally {
      await bot?.stop();
      bot = undefined;
      await tight.close();
    }
  });

  it('shows "queued: #1" to a waiting user, then deletes it when the result is sent', async () => {
    freshApi();
    await startBot();
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('w1', fixture('astronaut.png')), { caption: 'res=2048' }) });
    // Bob's photo arrives once Alice's job is under way, so that he is the one who waits.
    await api.waitFor((c) => c.method === 'getFile');
    await new Promise((r) => setTimeout(r, 100));
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto('w2'), { caption: 'res=256' }) });
    const queued = await api.waitFor((c) => c.method === 'sendMessage' && sentTo(bob.id)(c));
    expect(queued.params.text).toBe('Queued: #1 in line…');
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(bob.id)(c));
    const deleted = await api.waitFor((c) => c.method === 'deleteMessage' && sentTo(bob.id)(c));
    expect(deleted.params.message_id).toBeGreaterThan(0);
  });

  it('waits out a 429 for retry_after, then sends', async () => {
    freshApi();
    await startBot();
    api.fail('sendPhoto', { error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('r1'), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && api.callsTo('sendPhoto').length === 2);
    await bot?.idle();
    expect(sleeps).toContain(3000);
    expect(logs.some((l) => l.msg === 'rate limited, waiting' && l.fields?.retryAfterS === 3)).toBe(true);
  });

  it('logs and drops a 403 from a user who blocked the bot, and keeps serving others', async () => {
    await photoRefusedBySend({ error_code: 403, description: 'Forbidden: bot was blocked by the user' }, 'b1');
    expect(logs.some((l) => l.msg.startsWith('forbidden'))).toBe(true);
    expect(api.callsTo('sendPhoto')).toHaveLength(1);
    api.push({ message: photoMessage(privateChat(bob), bob, await addPhoto('b2'), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && sentTo(bob.id)(c));
  });

  it('never puts the token in a log line', async () => {
    await photoRefusedBySend({ error_code: 400, description: 'Bad Request' }, 't1');
    expect(logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(logs)).not.toContain(api.token);
  });
});

describe('Telegram: shutdown', () => {
  it('on stop, finishes the job in flight and sends its result before returning', async () => {
    freshApi();
    await startBot();
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('x1', fixture('astronaut.png')), { caption: 'res=2048' }) });
    await api.waitFor((c) => c.method === 'getFile');
    await bot?.stop();
    bot = undefined;
    expect(api.callsTo('sendPhoto')).toHaveLength(1);
  });
});

describe('Telegram: what a hostile or clumsy user can do', () => {
  const menuMessage = (chat: ReturnType<typeof privateChat> | typeof group) => ({ message_id: 9100, date: 0, chat, from: { is_bot: true, id: 4242, first_name: 'ToonBot' }, text: 'menu' });
  const answers = () => api.callsTo('answerCallbackQuery').map((c) => c.params.text);

  it("sends a picture outside Telegram's photo rules as a document instead (a 40x4000 photo)", async () => {
    freshApi();
    await startBot();
    const thin = await sharp({ create: { width: 40, height: 4000, channels: 3, background: '#3a6' } })
      .jpeg()
      .toBuffer();
    api.addFile('thin-s', thin);
    api.addFile('thin-l', thin);
    api.push({ message: photoMessage(privateChat(alice), alice, { small: 'thin-s', large: 'thin-l' }) });
    const doc = await api.waitFor((c) => c.method === 'sendDocument');
    expect(api.callsTo('sendPhoto')).toHaveLength(1);
    const meta = await decoded(doc.files.document);
    expect([meta.width, meta.height]).toEqual([10, 1024]);
    expect(doc.params.caption).toMatch(/^⏱ queue/);
  });

  it('tries a smaller JPEG when the document is refused too, and tells the user when nothing can be sent', async () => {
    freshApi();
    await startBot();
    api.fail('sendPhoto', { error_code: 400, description: 'Bad Request: PHOTO_INVALID_DIMENSIONS' });
    api.fail('sendDocument', { error_code: 413, description: 'Request Entity Too Large' });
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('f1'), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendDocument' && api.callsTo('sendDocument').length === 2);
    await bot?.idle();
    const [, smaller] = api.callsTo('sendDocument');
    expect(smaller?.files.document?.name).toBe('cartoon.jpg');
    expect((await decoded(smaller?.files.document)).format).toBe('jpeg');

    api.fail('sendPhoto', { error_code: 400, description: 'Bad Request: PHOTO_INVALID_DIMENSIONS' });
    api.fail('sendDocument', { error_code: 400, description: 'Bad Request' }, 2);
    expect(await textAnswerTo(bob, 'f2')).toBe('The cartoon is done, but I could not send it. Try a smaller resolution.');
  });

  it('answers an album of 12 in two albums, 10 and 2, losing none', async () => {
    freshApi();
    await startBot();
    const chat = privateChat(alice);
    for (let i = 0; i < 12; i += 1) {
      api.push({ message: photoMessage(chat, alice, await addPhoto(`al${i}`), { media_group_id: 'big', ...(i === 0 ? { caption: 'res=256' } : {}) }) });
    }
    await api.waitFor((c) => c.method === 'sendMediaGroup' && api.callsTo('sendMediaGroup').length === 2, 60_000);
    await bot?.idle();
    expect(api.callsTo('sendMediaGroup').map((c) => (c.params.media as unknown[]).length)).toEqual([10, 2]);
    expect(api.callsTo('sendMessage').filter((c) => /could not|left out/.test(String(c.params.text)))).toEqual([]);
  });

  it('holds a place in line before downloading: photos over the per-user cap are refused without a byte fetched', async () => {
    freshApi();
    await startBot();
    const chat = privateChat(alice);
    const photos = await Promise.all(Array.from({ length: 6 }, (_, i) => addPhoto(`m${i}`)));
    // Six photos in one batch of updates, as a client sends them.
    for (const ids of photos) api.push({ message: photoMessage(chat, alice, ids, { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto' && api.callsTo('sendPhoto').length === 2, 30_000);
    await bot?.idle();
    expect(api.callsTo('sendMessage').filter((c) => /already have photos in line/.test(String(c.params.text)))).toHaveLength(4);
    expect(api.callsTo('getFile')).toHaveLength(2);
    expect(api.downloads).toHaveLength(2);
  });

  it('caps what one group may have in line, so one busy group cannot fill it for everyone', async () => {
    freshApi();
    await startBot({ maxJobsPerGroup: 2 });
    const people = [alice, bob, li, { id: 1004, first_name: 'Dee', language_code: 'en' }];
    const photos = await Promise.all(people.map((_, i) => addPhoto(`gc${i}`)));
    people.forEach((person, i) => api.push({ message: photoMessage(group, person, photos[i] as { small: string; large: string }, { caption: '/cartoon res=256' }) }));
    await api.waitFor(() => api.callsTo('sendPhoto').length === 2, 30_000);
    await bot?.idle();
    const busy = api.callsTo('sendMessage').filter((c) => /This group already has many photos in line|这个群组已有很多照片在排队/.test(String(c.params.text)));
    expect(busy).toHaveLength(2);
    expect(api.downloads).toHaveLength(2);
  });

  it("lets only a group's admins change its settings, and only to values the buttons offer", async () => {
    freshApi();
    await startBot();
    api.push({ callback_query: callbackQuery(bob, menuMessage(group), 'set:strength:0.5') });
    await api.waitFor((c) => c.method === 'answerCallbackQuery');
    expect(answers()).toEqual(['Only the admins of this group can change that.']);
    api.members.set(`${group.id}:${alice.id}`, 'administrator');
    api.push({ callback_query: callbackQuery(alice, menuMessage(group), 'set:strength:0.5') });
    await api.waitFor((c) => c.method === 'editMessageText');
    expect(answers()[1]).toBe('Saved');
    // Forged: a valid resolution the buttons do not offer, in a private chat.
    api.push({ callback_query: callbackQuery(alice, menuMessage(privateChat(alice)), 'set:resolution:256') });
    await api.waitFor(() => answers().length === 3);
    expect(answers()[2]).toMatch(/^Resolution must be/);
    expect(api.callsTo('editMessageText')).toHaveLength(1);
    expect(api.callsTo('getChatMember')).toHaveLength(2);
  });

  it('says when settings could not be saved, and refuses to start on a settings path that is a folder, moving nothing', async () => {
    freshApi();
    // Its temporary file's name is taken by a folder: every save fails.
    const settingsPath = path.join(scratch.path, 'unsavable.json');
    await mkdir(`${settingsPath}.tmp`, { recursive: true });
    await startBot({ settingsPath });
    api.push({ callback_query: callbackQuery(alice, menuMessage(privateChat(alice)), 'set:strength:0.5') });
    await api.waitFor((c) => c.method === 'answerCallbackQuery');
    expect(answers()).toEqual(['Could not save that. Please try again.']);
    await bot?.stop();
    bot = undefined;

    const folder = path.join(scratch.path, 'settings-folder');
    await mkdir(folder, { recursive: true });
    await expect(startBot({ settingsPath: folder })).rejects.toThrow(/is not a file/);
    expect((await stat(folder)).isDirectory()).toBe(true);
  });

  it('reads local paths only from a --local Bot API server it is told about', async () => {
    freshApi();
    api.localDir = await mkdtemp(path.join(scratch.path, 'local-'));
    await startBot({ localFiles: true });
    api.push({ message: photoMessage(privateChat(alice), alice, await addPhoto('l1'), { caption: 'res=256' }) });
    await api.waitFor((c) => c.method === 'sendPhoto');
    expect(api.downloads).toEqual([]);
    await bot?.stop();
    await startBot();
    expect(await textAnswerTo(bob, 'l2')).toBe('I could not download that file. Please send it again.');
  });

  it('puts no quotes or line breaks from a file name into the upload', async () => {
    freshApi();
    await startBot();
    const png = await sharp(fixture('coffee.png')).resize(200).png().toBuffer();
    api.addFile('q1', png);
    api.push({ message: documentMessage(privateChat(alice), alice, { file_id: 'q1', file_name: 'my "best"\r\nphoto;.png', mime_type: 'image/png', file_size: png.length }, 'res=256') });
    const doc = await api.waitFor((c) => c.method === 'sendDocument');
    expect(doc.files.document?.name).toBe('my _best_photo_.toon.png');
  });
});

describe('Telegram: webhook mode', () => {
  it('registers the webhook with its secret and accepts only updates that carry it', async () => {
    freshApi();
    const port = await freePort();
    await startBot({ webhookUrl: 'https://bot.example.com/tg-hook', webhookPort: port, webhookHost: '127.0.0.1', webhookSecret: 'sekret_123' });
    const set = await api.waitFor((c) => c.method === 'setWebhook');
    expect(set.params).toMatchObject({ url: 'https://bot.example.com/tg-hook', secret_token: 'sekret_123' });
    expect(api.callsTo('deleteWebhook')).toHaveLength(0);

    const update = { update_id: 1, message: photoMessage(privateChat(alice), alice, await addPhoto('wh'), { caption: 'res=256' }) };
    const post = (secret: string) =>
      fetch(`http://127.0.0.1:${port}/tg-hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body: JSON.stringify(update) });
    expect((await post('wrong')).status).toBe(403);
    expect((await post('sekret_123')).status).toBe(200);
    const sent = await api.waitFor((c) => c.method === 'sendPhoto');
    expect((await decoded(sent.files.photo)).width).toBe(256);
    expect(api.callsTo('getFile')).toHaveLength(1);
  });
});
