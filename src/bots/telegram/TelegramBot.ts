/**
 * The Telegram adapter's lifecycle: telegraf, polling or the webhook, the command list, and the
 * wiring of updates to their handlers (route.ts decides, PhotoJobs and SettingsMenu act).
 *
 * Handlers never await a job: they start it and return, so telegraf's 90 s handler timeout never
 * fires and polling keeps flowing while the queue works.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Telegraf } from 'telegraf';
import type { Message } from 'telegraf/types';
import type { Engine, Logger } from '../../engine/index.ts';
import { styleNames } from '../../engine/index.ts';
import { pickLang, texts } from '../../i18n/index.ts';
import { InFlight } from '../shared/InFlight.ts';
import type { LateOutcome, ReplyAddress, RunningBot } from '../shared/RunningBot.ts';
import { SettingsStore } from '../shared/SettingsStore.ts';
import { AlbumCollector } from './AlbumCollector.ts';
import type { TelegramOptions } from './options.ts';
import { PhotoJobs } from './PhotoJobs.ts';
import { cancelToken, route, routeAlbum, type RouteContext } from './route.ts';
import { OwnerCommands } from './OwnerCommands.ts';
import { openCommunity, type Community } from '../shared/community.ts';
import { DEFAULT_RETRY, Outbox } from './send.ts';
import { SettingsMenu } from './SettingsMenu.ts';

/** Time limits of the webhook listener (ms): whole request, headers, idle keep-alive, idle socket. */
const WEBHOOK_TIMEOUTS = { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 10_000, timeout: 60_000 } as const;

export class TelegramBot implements RunningBot {
  readonly name = 'telegram';
  readonly #bot: Telegraf;
  readonly #engine: Engine;
  readonly #log: Logger;
  readonly #opts: TelegramOptions;
  readonly #out: Outbox;
  readonly #settings: SettingsMenu;
  readonly #jobs: PhotoJobs;
  readonly #albums: AlbumCollector;
  readonly #inFlight: InFlight;
  #username = '';
  #launched: Promise<void> | undefined;

  readonly #owners: OwnerCommands;

  private constructor(engine: Engine, opts: TelegramOptions, log: Logger, store: SettingsStore, community: Community) {
    this.#engine = engine;
    this.#opts = opts;
    this.#log = log;
    this.#inFlight = new InFlight(log, 'telegram job');
    this.#bot = new Telegraf(opts.token, {
      telegram: { ...(opts.apiRoot ? { apiRoot: opts.apiRoot } : {}), webhookReply: false },
    });
    this.#out = new Outbox(this.#bot.telegram, log, opts.retry ?? DEFAULT_RETRY);
    this.#settings = new SettingsMenu(engine, store, this.#out);
    this.#jobs = new PhotoJobs(engine, this.#out, this.#settings, opts, log, community);
    this.#owners = new OwnerCommands(engine, this.#out, community, log);
    this.#albums = new AlbumCollector(opts.albumQuietMs, (messages, skipped) => this.#onAlbum(messages, skipped));
    this.#bot.on('message', (ctx) => this.#onMessage(ctx.message));
    this.#bot.on('callback_query', (ctx) => {
      const token = cancelToken('data' in ctx.callbackQuery ? ctx.callbackQuery.data : undefined);
      this.#inFlight.track(token ? this.#owners.cancel(ctx.callbackQuery, token) : this.#settings.press(ctx.callbackQuery));
    });
    this.#bot.catch((error, ctx) => this.#log.error('telegram handler failed', { updateId: ctx.update.update_id, error }));
  }

  /** Connects (getMe), registers the command list and starts polling or the webhook. */
  static async start(engine: Engine, opts: TelegramOptions, log: Logger, community: Community = openCommunity(log)): Promise<TelegramBot> {
    const store = await SettingsStore.open(opts.settingsPath, log);
    const bot = new TelegramBot(engine, opts, log, store, community);
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
    // telegraf's own webhook server has Node's open-ended defaults: a client that sends headers,
    // or a body, and then nothing would hold a socket for good. Telegram's updates are small.
    const server = (this.#bot as unknown as { webhookServer?: Server }).webhookServer;
    if (server) Object.assign(server, WEBHOOK_TIMEOUTS);
    await this.#out.call('setMyCommands', () =>
      this.#bot.telegram.setMyCommands([
        { command: 'cartoon', description: 'Cartoonise a photo: send it with /cartoon, or reply /cartoon to one' },
        { command: 'settings', description: 'Default strength, resolution, style and format for this chat' },
        { command: 'queue', description: 'Where your photos are in line' },
        { command: 'help', description: 'How to use the bot' },
      ]),
    );
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

  abort(): void {
    this.#jobs.abortDownloads();
  }

  answerLater(replyTo: ReplyAddress, outcome: LateOutcome): Promise<void> {
    return this.#jobs.answerLater(replyTo, outcome);
  }

  /** Resolves when every reply started so far has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#inFlight.drain();
  }

  #context(): RouteContext {
    return { username: this.#username, styles: styleNames(this.#engine.styles()) };
  }

  #onMessage(message: Message): void {
    const intent = route(message, this.#context());
    const lang = pickLang(message.from?.language_code);
    const reply = (text: string) => this.#inFlight.track(this.#out.reply(message.chat.id, message.message_id, text).then(() => undefined));
    switch (intent.kind) {
      case 'help':
        return reply(texts(lang).help(this.#username));
      case 'need-photo':
        return reply(texts(lang).needPhoto);
      case 'settings':
        return this.#inFlight.track(this.#settings.show(message.chat.id, lang));
      case 'album-item':
        return this.#albums.add(intent.message);
      case 'queue':
        return this.#inFlight.track(this.#owners.queue(intent.message));
      case 'owner':
        return this.#inFlight.track(this.#owners.run(intent.action, intent.message, intent.arg, intent.replyTo));
      case 'photo':
        return this.#inFlight.track(this.#jobs.single(intent));
      case 'ignore':
        return;
    }
  }

  #onAlbum(messages: Message[], skipped: number): void {
    const album = routeAlbum(messages, this.#context());
    if (album) this.#inFlight.track(this.#jobs.album(album.asker, album.text, album.photos, skipped));
  }
}
