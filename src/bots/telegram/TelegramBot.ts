/**
 * The Telegram adapter: telegraf updates in, engine jobs out, replies back. Thin on purpose: option
 * parsing, texts and downloads live in bots/shared, the work in the engine.
 *
 * Handlers never await a job: they start it and return, so telegraf's 90 s handler timeout never
 * fires and polling keeps flowing while the queue works.
 */
import { randomBytes } from 'node:crypto';
import { Telegraf } from 'telegraf';
import type { CallbackQuery, InlineKeyboardButton, InputMediaDocument, InputMediaPhoto, Message, ReplyParameters } from 'telegraf/types';
import { isToonError, parseOptions, ToonError, type CartoonResult, type Engine, type Logger } from '../../engine/index.ts';
import { download } from '../shared/download.ts';
import { errorText, pickLang, processingMs, resultCaption, texts, timingsCaption, type Lang } from '../shared/i18n.ts';
import { InFlight } from '../shared/InFlight.ts';
import type { RunningBot } from '../shared/RunningBot.ts';
import { SettingsStore, type ChatSettings } from '../shared/SettingsStore.ts';
import { parseText, unknownWordError, type ParsedText } from '../shared/textOptions.ts';
import { AlbumCollector } from './AlbumCollector.ts';
import { mediaOf, textOf, type Media } from './media.ts';
import type { TelegramOptions } from './options.ts';
import { DEFAULT_RETRY, safeCall, type RetryPolicy } from './send.ts';
import { StatusMessage } from './StatusMessage.ts';

/** One photo to cartoonise, and where the answer goes. */
interface Target {
  chatId: number;
  /** The message that holds the photo: results reply to it. */
  photoMessageId: number;
  media: Media;
  userId: number;
  lang: Lang;
}

const CHOICES = {
  strength: [0.3, 0.5, 0.7, 1.0],
  resolution: [512, 1024, 2048],
  format: ['png', 'jpeg', 'webp'],
} as const;

export class TelegramBot implements RunningBot {
  readonly name = 'telegram';
  readonly #bot: Telegraf;
  readonly #engine: Engine;
  readonly #log: Logger;
  readonly #opts: TelegramOptions;
  readonly #settings: SettingsStore;
  readonly #albums: AlbumCollector;
  readonly #inFlight: InFlight;
  readonly #retry: RetryPolicy;
  #username = '';
  #launched: Promise<void> | undefined;

  private constructor(engine: Engine, opts: TelegramOptions, log: Logger, settings: SettingsStore) {
    this.#engine = engine;
    this.#opts = opts;
    this.#log = log;
    this.#settings = settings;
    this.#retry = opts.retry ?? DEFAULT_RETRY;
    this.#inFlight = new InFlight(log, 'telegram job');
    this.#bot = new Telegraf(opts.token, {
      telegram: { ...(opts.apiRoot ? { apiRoot: opts.apiRoot } : {}), webhookReply: false },
    });
    this.#albums = new AlbumCollector(opts.albumQuietMs, (messages) => this.#inFlight.track(this.#album(messages)));
    this.#bot.on('message', (ctx) => this.#onMessage(ctx.message));
    this.#bot.on('callback_query', (ctx) => this.#onCallback(ctx.callbackQuery));
    this.#bot.catch((error, ctx) => this.#log.error('telegram handler failed', { updateId: ctx.update.update_id, error }));
  }

  /** Connects (getMe), registers the command list and starts polling or the webhook. */
  static async start(engine: Engine, opts: TelegramOptions, log: Logger): Promise<TelegramBot> {
    const settings = await SettingsStore.open(opts.settingsPath, log);
    const bot = new TelegramBot(engine, opts, log, settings);
    await bot.#launch();
    return bot;
  }

  async #launch(): Promise<void> {
    let ready!: () => void;
    const onLaunch = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const webhook = this.#opts.webhookUrl ? new URL(this.#opts.webhookUrl) : undefined;
    const config = webhook
      ? {
          webhook: {
            domain: webhook.host,
            path: webhook.pathname,
            port: this.#opts.webhookPort ?? 8443,
            ...(this.#opts.webhookHost ? { host: this.#opts.webhookHost } : {}),
            secretToken: this.#opts.webhookSecret ?? randomBytes(24).toString('hex'),
          },
        }
      : {};
    // In polling mode launch() only settles when polling ends, so wait for its onLaunch instead.
    this.#launched = this.#bot.launch(config, ready).catch((error: unknown) => {
      this.#log.error('telegram stopped receiving updates', { error });
    });
    await Promise.race([onLaunch, this.#launched.then(() => Promise.reject(new Error('Telegram launch failed: check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT')))]);
    this.#username = this.#bot.botInfo?.username ?? '';
    await safeCall('setMyCommands', () => this.#bot.telegram.setMyCommands([
      { command: 'cartoon', description: 'Cartoonise a photo: send it with /cartoon, or reply /cartoon to one' },
      { command: 'settings', description: 'Default strength, resolution, style and format for this chat' },
      { command: 'help', description: 'How to use the bot' },
    ]), this.#log, this.#retry);
    this.#log.info('telegram bot started', { username: this.#username, mode: webhook ? 'webhook' : 'polling' });
  }

  /** Stops taking updates, hands pending albums to the queue, and answers every job in flight. */
  async stop(): Promise<void> {
    try {
      this.#bot.stop('shutdown');
    } catch {
      // not running: nothing to stop
    }
    this.#albums.flush();
    await this.#inFlight.drain();
    await this.#launched;
  }

  /** Resolves when every reply started so far has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#inFlight.drain();
  }


  #styles(): string[] {
    return this.#engine.styles().map((s) => s.id);
  }

  // ---- routing ------------------------------------------------------------------------------

  #onMessage(message: Message): void {
    const lang = pickLang(message.from?.language_code);
    const isPrivate = message.chat.type === 'private';
    const media = mediaOf(message);
    const parsed = parseText(textOf(message), this.#username, this.#styles());
    if (parsed.otherBot) return;

    if (parsed.command === 'start' || parsed.command === 'help') return void this.#reply(message, texts(lang).help(this.#username));
    if (parsed.command === 'settings') return void this.#inFlight.track(this.#showSettings(message.chat.id, lang));

    const reply = 'reply_to_message' in message ? message.reply_to_message : undefined;
    const replyMedia = mediaOf(reply as Message | undefined);
    const addressed = parsed.command === 'cartoon' || parsed.mentioned;

    if ('media_group_id' in message && message.media_group_id && media) {
      this.#albums.add(message as Message & { media_group_id: string });
      return;
    }
    if (media && (isPrivate || addressed)) return this.#start(message, media, parsed, lang);
    if (!media && replyMedia && reply && (addressed || (isPrivate && parsed.explicit))) return this.#start(reply as Message, replyMedia, parsed, lang, message);
    if (parsed.command === 'cartoon') return void this.#reply(message, texts(lang).needPhoto);
    if (isPrivate && !media && parsed.command === null) this.#reply(message, texts(lang).help(this.#username));
    // Anything else in a group is not for us (privacy mode shows us little else anyway).
  }

  /** Validates, then starts one job without waiting for it. */
  #start(photoMessage: Message, media: Media, parsed: ParsedText, lang: Lang, commandMessage?: Message): void {
    const asked = commandMessage ?? photoMessage;
    const target: Target = { chatId: photoMessage.chat.id, photoMessageId: photoMessage.message_id, media, userId: asked.from?.id ?? 0, lang };
    const options = this.#options(target, parsed);
    if (options instanceof ToonError) return void this.#reply(asked, errorText(lang, options, this.#styles()));
    this.#inFlight.track(this.#single(target, options));
  }

  /** The chat's defaults overlaid with the message's own options, validated. */
  #options(target: Target, parsed: ParsedText): ChatSettings | ToonError {
    const wordError = unknownWordError(parsed);
    if (wordError) return wordError;
    const merged = { ...this.#chatDefaults(target.chatId), ...parsed.options };
    try {
      const { strength, resolution, style, format } = parseOptions(merged, this.#styles(), { style: this.#engine.defaultStyle });
      return { strength, resolution, style, format };
    } catch (error) {
      return isToonError(error) ? error : new ToonError('INTERNAL', { cause: error });
    }
  }

  // ---- one photo -----------------------------------------------------------------------------

  async #single(target: Target, options: ChatSettings): Promise<void> {
    const t = texts(target.lang);
    const status = this.#status(target);
    const stopAction = this.#chatAction(target.chatId, target.media.kind === 'photo' ? 'upload_photo' : 'upload_document');
    try {
      const result = await this.#cartoon(target, options, (position) => {
        if (position >= 1) status.show(t.queued(position));
        else if (status.active) status.show(t.processing);
      });
      await this.#sendResult(target, result.result, resultCaption(target.lang, result.result, result.totalMs));
    } catch (error) {
      await this.#sendError(target, error);
    } finally {
      stopAction();
      await status.remove();
    }
  }

  /** Size check, download, engine. `totalMs` counts from the start of the download. */
  async #cartoon(target: Target, options: ChatSettings, onPosition?: (position: number) => void): Promise<{ result: CartoonResult; totalMs: number }> {
    const started = performance.now();
    const { media } = target;
    if (media.kind === 'document' && media.mimeType && !media.mimeType.startsWith('image/')) {
      throw new ToonError('UNSUPPORTED_IMAGE', { detail: { mimeType: media.mimeType } });
    }
    if (media.fileSize !== undefined && media.fileSize > this.#opts.maxDownloadBytes) {
      throw new ToonError('IMAGE_TOO_LARGE', { message: 'download limit', detail: { telegramDownloadLimit: true, bytes: media.fileSize } });
    }
    const link = await this.#bot.telegram.getFileLink(media.fileId);
    const image = await download(link, { maxBytes: this.#opts.maxDownloadBytes, timeoutMs: this.#opts.downloadTimeoutMs });
    const result = await this.#engine.submit(
      { image, options, requester: `telegram:${target.userId}` },
      onPosition ? { onPosition } : {},
    );
    const totalMs = performance.now() - started;
    this.#log.info('telegram job done', { chat: target.chatId, message: target.photoMessageId, user: target.userId, kind: media.kind, ...result.timings, totalMs: Math.round(totalMs) });
    return { result, totalMs };
  }

  async #sendResult(target: Target, result: CartoonResult, caption: string): Promise<void> {
    const file = { source: result.image, filename: resultName(target.media, result) };
    const extra = { caption, reply_parameters: multipartReply(target.photoMessageId) };
    const { telegram } = this.#bot;
    if (target.media.kind === 'photo' && result.image.length <= this.#opts.maxPhotoBytes) {
      await safeCall('sendPhoto', () => telegram.sendPhoto(target.chatId, file, extra), this.#log, this.#retry);
    } else {
      await safeCall('sendDocument', () => telegram.sendDocument(target.chatId, file, extra), this.#log, this.#retry);
    }
  }

  async #sendError(target: Target, error: unknown): Promise<void> {
    const toon = isToonError(error) ? error : new ToonError('INTERNAL', { cause: error });
    if (toon.code === 'INTERNAL') this.#log.error('telegram job failed', { chat: target.chatId, error: toon.cause ?? toon });
    const text = toon.detail.telegramDownloadLimit
      ? texts(target.lang).fileTooBig(Math.round(this.#opts.maxDownloadBytes / 1e6))
      : errorText(target.lang, toon, this.#styles());
    await this.#replyTo(target.chatId, target.photoMessageId, text);
  }

  // ---- albums --------------------------------------------------------------------------------

  async #album(messages: Message[]): Promise<void> {
    const first = messages[0];
    if (!first) return;
    const isPrivate = first.chat.type === 'private';
    // The caption (and so the command or the options) sits on one of the items, not always the first.
    const captioned = messages.find((m) => textOf(m));
    const parsed = parseText(captioned ? textOf(captioned) : undefined, this.#username, this.#styles());
    if (parsed.otherBot || (!isPrivate && !(parsed.command === 'cartoon' || parsed.mentioned))) return;
    const asker = captioned ?? first;
    const lang = pickLang(asker.from?.language_code);
    const targets: Target[] = messages.flatMap((m) => {
      const media = mediaOf(m);
      return media ? [{ chatId: m.chat.id, photoMessageId: m.message_id, media, userId: asker.from?.id ?? 0, lang }] : [];
    });
    const head = targets[0];
    if (!head) return;
    const options = this.#options(head, parsed);
    if (options instanceof ToonError) return void this.#reply(asker, errorText(lang, options, this.#styles()));

    const t = texts(lang);
    const status = this.#status(head);
    const kind = head.media.kind;
    const stopAction = this.#chatAction(head.chatId, kind === 'photo' ? 'upload_photo' : 'upload_document');
    const done: { target: Target; result: CartoonResult; totalMs: number }[] = [];
    const failures: unknown[] = [];
    try {
      // One job at a time per album: the per-user cap holds, and other users get their turns.
      for (const [i, target] of targets.entries()) {
        if (targets.length > 1) status.show(t.albumProgress(i, targets.length));
        try {
          done.push({ target, ...(await this.#cartoon(target, options, (p) => p >= 1 && status.show(t.queued(p)))) });
        } catch (error) {
          failures.push(error);
        }
      }
      await this.#sendAlbum(done, lang);
      if (failures.length > 0) {
        const reason = failures[0];
        const detail = isToonError(reason) ? errorText(lang, reason, this.#styles()) : t.errors.INTERNAL;
        await this.#replyTo(head.chatId, head.photoMessageId, `${t.albumPartial(failures.length, targets.length)} ${detail}`);
      }
    } finally {
      stopAction();
      await status.remove();
    }
  }

  async #sendAlbum(done: { target: Target; result: CartoonResult; totalMs: number }[], lang: Lang): Promise<void> {
    const [one] = done;
    if (!one) return;
    if (done.length === 1) {
      return this.#sendResult(one.target, one.result, resultCaption(lang, one.result, one.totalMs));
    }
    const queued = done.reduce((s, d) => s + d.result.timings.queued, 0);
    const processing = done.reduce((s, d) => s + processingMs(d.result), 0);
    const total = done.reduce((s, d) => s + d.totalMs, 0);
    const caption = timingsCaption(lang, queued, processing, total);
    const asPhotos = one.target.media.kind === 'photo' && done.every((d) => d.result.image.length <= this.#opts.maxPhotoBytes);
    const media = done.map((d, i) => {
      const item = { media: { source: d.result.image, filename: resultName(d.target.media, d.result) }, ...(i === 0 ? { caption } : {}) };
      return asPhotos ? ({ type: 'photo', ...item } as InputMediaPhoto) : ({ type: 'document', ...item } as InputMediaDocument);
    });
    const { telegram } = this.#bot;
    await safeCall(
      'sendMediaGroup',
      () => telegram.sendMediaGroup(one.target.chatId, media as InputMediaPhoto[], { reply_parameters: multipartReply(one.target.photoMessageId) }),
      this.#log,
      this.#retry,
    );
  }

  // ---- settings ------------------------------------------------------------------------------

  async #showSettings(chatId: number, lang: Lang, editMessageId?: number): Promise<void> {
    const current = parseOptions(this.#chatDefaults(chatId), this.#styles(), { style: this.#engine.defaultStyle });
    const t = texts(lang);
    const row = (key: keyof typeof t.settingsLabels, values: readonly (string | number)[], selected: string | number): InlineKeyboardButton[] => [
      { text: `${t.settingsLabels[key]}:`, callback_data: 'noop' },
      ...values.map((v) => ({ text: `${v === selected ? '✓ ' : ''}${v}`, callback_data: `set:${key}:${v}` })),
    ];
    const keyboard = {
      inline_keyboard: [
        row('strength', CHOICES.strength, current.strength),
        row('resolution', CHOICES.resolution, current.resolution),
        row('style', this.#styles(), current.style),
        row('format', CHOICES.format, current.format),
      ],
    };
    const text = t.settingsTitle(current);
    const { telegram } = this.#bot;
    if (editMessageId === undefined) {
      await safeCall('sendMessage', () => telegram.sendMessage(chatId, text, { reply_markup: keyboard }), this.#log, this.#retry);
    } else {
      await safeCall('editMessageText', () => telegram.editMessageText(chatId, editMessageId, undefined, text, { reply_markup: keyboard }), this.#log, this.#retry);
    }
  }

  #onCallback(query: CallbackQuery): void {
    this.#inFlight.track(this.#handleCallback(query));
  }

  async #handleCallback(query: CallbackQuery): Promise<void> {
    const lang = pickLang(query.from.language_code);
    const data = 'data' in query ? query.data : '';
    const message = query.message;
    const { telegram } = this.#bot;
    const answer = (text?: string) => safeCall('answerCallbackQuery', () => telegram.answerCbQuery(query.id, text), this.#log, this.#retry);
    const match = /^set:(strength|resolution|style|format):(.+)$/.exec(data);
    if (!match || !message) return void (await answer());
    const [, key, value] = match as unknown as [string, 'strength' | 'resolution' | 'style' | 'format', string];
    let patch: ChatSettings;
    try {
      const parsed = parseOptions({ [key]: value }, this.#styles());
      patch = { [key]: parsed[key] };
    } catch (error) {
      return void (await answer(isToonError(error) ? errorText(lang, error, this.#styles()) : undefined));
    }
    await this.#settings.set(message.chat.id, patch);
    await answer(texts(lang).saved);
    await this.#showSettings(message.chat.id, lang, message.message_id);
  }

  // ---- small helpers -------------------------------------------------------------------------

  /** The chat's saved defaults, minus any that are no longer valid (a style since removed, say). */
  #chatDefaults(chatId: number): ChatSettings {
    const saved = this.#settings.get(chatId);
    const valid: ChatSettings = {};
    for (const key of ['strength', 'resolution', 'style', 'format'] as const) {
      if (saved[key] === undefined) continue;
      try {
        parseOptions({ [key]: saved[key] }, this.#styles());
        Object.assign(valid, { [key]: saved[key] });
      } catch {
        // dropped: the engine default applies
      }
    }
    return valid;
  }

  #reply(message: Message, text: string): void {
    this.#inFlight.track(this.#replyTo(message.chat.id, message.message_id, text));
  }

  async #replyTo(chatId: number, messageId: number, text: string): Promise<void> {
    await safeCall('sendMessage', () => this.#bot.telegram.sendMessage(chatId, text, { reply_parameters: { message_id: messageId, allow_sending_without_reply: true } }), this.#log, this.#retry);
  }

  #status(target: Target): StatusMessage {
    const { telegram } = this.#bot;
    const quiet: RetryPolicy = { ...this.#retry, attempts: 1 };
    return new StatusMessage({
      send: async (text) => (await safeCall('sendMessage', () => telegram.sendMessage(target.chatId, text, { reply_parameters: { message_id: target.photoMessageId, allow_sending_without_reply: true } }), this.#log, this.#retry))?.message_id,
      edit: (id, text) => safeCall('editMessageText', () => telegram.editMessageText(target.chatId, id, undefined, text), this.#log, quiet),
      remove: (id) => safeCall('deleteMessage', () => telegram.deleteMessage(target.chatId, id), this.#log, this.#retry),
    });
  }

  /** Shows "sending a photo…" now and every 4.5 s (Telegram shows it for 5 s) until stopped. */
  #chatAction(chatId: number, action: 'upload_photo' | 'upload_document'): () => void {
    const quiet: RetryPolicy = { ...this.#retry, attempts: 1 };
    const send = () => void safeCall('sendChatAction', () => this.#bot.telegram.sendChatAction(chatId, action), this.#log, quiet);
    send();
    const timer = setInterval(send, 4500);
    return () => clearInterval(timer);
  }
}

/**
 * reply_parameters for calls that upload a file. telegraf 4.16.3 silently drops object-valued
 * fields from multipart requests (telegraf/telegraf#1970, #2094; fixed upstream, unreleased), so
 * the field goes as the JSON string the Bot API expects.
 */
function multipartReply(messageId: number): ReplyParameters {
  return JSON.stringify({ message_id: messageId, allow_sending_without_reply: true }) as unknown as ReplyParameters;
}

/** `holiday.jpg` -> `holiday.toon.png`; photos are `cartoon.<ext>`. */
function resultName(media: Media, result: CartoonResult): string {
  const ext = result.format === 'jpeg' ? 'jpg' : result.format;
  if (media.kind === 'photo') return `cartoon.${ext}`;
  const base = media.fileName.replace(/\.[^.]*$/, '') || 'image';
  return `${base}.${result.model}.${ext}`;
}

