/**
 * The Telegram adapter's lifecycle: telegraf, polling or the webhook, the command list, and the
 * wiring of updates to their handlers (route.ts decides, PhotoJobs and SettingsMenu act).
 *
 * Handlers never await a job: they start it and return, so telegraf's 90 s handler timeout never
 * fires and polling keeps flowing while the queue works. They do await the job's line in the
 * journal (a few ms): telegraf confirms an update only after its handler returns, so a photo
 * Telegram will not send again is always on disk, and a bot killed at any instant answers it
 * after its restart (#recover).
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
import { journalKey, PhotoJobs } from './PhotoJobs.ts';
import { cancelToken, route, routeAlbum, type RouteContext } from './route.ts';
import { OwnerCommands } from './OwnerCommands.ts';
import { openCommunity, type Community } from '../shared/community.ts';
import { DEFAULT_RETRY, Outbox } from './send.ts';
import { SettingsMenu } from './SettingsMenu.ts';
import { JobTrack, type Journal } from '../shared/Journal.ts';

/** A Telegram job as the journal keeps it: the message that asked (routed again after a restart). */
interface JournalledMessage {
  platform: 'telegram';
  message: Message;
}

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
  readonly #journal: Journal | undefined;
  /** Journal ids of the album items still being collected, by message key. */
  readonly #albumIds = new Map<string, number>();

  private constructor(engine: Engine, opts: TelegramOptions, log: Logger, store: SettingsStore, community: Community) {
    this.#engine = engine;
    this.#journal = community.journal;
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
    // Polling starts a round trip later (deleteWebhook first): the jobs of a killed run join the line before any new one.
    await this.#recover();
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

  #onMessage(message: Message): Promise<void> | void {
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
        return this.#accept(intent.message, (track) => {
          if (track.ids[0] !== undefined) this.#albumIds.set(journalKey(intent.message), track.ids[0]);
          this.#albums.add(intent.message);
        });
      case 'queue':
        return this.#inFlight.track(this.#owners.queue(intent.message));
      case 'owner':
        return this.#inFlight.track(this.#owners.run(intent.action, intent.message, intent.arg, intent.replyTo));
      case 'photo':
        return this.#accept(message, (track) => this.#inFlight.track(this.#jobs.single(intent, track)));
      case 'ignore':
        return;
    }
  }

  #onAlbum(messages: Message[], skipped: number): void {
    const ids = messages.flatMap((m) => {
      const id = this.#albumIds.get(journalKey(m));
      this.#albumIds.delete(journalKey(m));
      return id ?? [];
    });
    const recovered = this.#journal?.recovered.some((e) => ids.includes(e.id)) === true;
    const track = new JobTrack(this.#journal, ids, this.#log, recovered);
    const album = routeAlbum(messages, this.#context());
    if (album) this.#inFlight.track(this.#jobs.album(album.asker, album.text, album.photos, skipped, track));
    else this.#inFlight.track(track.done());
  }

  /**
   * Writes the job's message to the journal, then starts it (`start`). A message the journal has
   * already (Telegram sending an update again after a restart: the journal's copy is answered) is
   * dropped. A journal that cannot be written is logged, and the job runs without it.
   */
  async #accept(message: Message, start: (track: JobTrack) => void): Promise<void> {
    const journal = this.#journal;
    if (!journal) return start(JobTrack.NONE);
    const key = journalKey(message);
    if (journal.has(key)) return this.#log.info('telegram: an update delivered again is already in hand', { chat: message.chat.id, message: message.message_id });
    let track = JobTrack.NONE;
    try {
      const job: JournalledMessage = { platform: 'telegram', message };
      track = new JobTrack(journal, [(await journal.add(key, job)).id], this.#log);
    } catch (error) {
      this.#log.error('journal: a job could not be written; it runs, but would not survive a crash', { chat: message.chat.id, error });
    }
    start(track);
  }

  /**
   * The jobs a killed run left in the journal, in their order: each old status message deleted,
   * what was delivered only cleaned up, the rest routed again as new (a new status, the reply).
   */
  async #recover(): Promise<void> {
    const journal = this.#journal;
    if (!journal) return;
    const left = journal.recovered.filter((e) => e.key.startsWith('telegram:'));
    if (left.length === 0) return;
    this.#log.info('journal: answering the jobs a previous run accepted', { jobs: left.length });
    await Promise.all(
      left.map(async (entry) => {
        const status = entry.notes.status as { chat: number; message: number } | undefined;
        if (status) await this.#out.call('deleteMessage', () => this.#bot.telegram.deleteMessage(status.chat, status.message), true);
      }),
    );
    for (const entry of left) {
      const track = new JobTrack(journal, [entry.id], this.#log, true);
      const { message } = entry.job as JournalledMessage;
      if (entry.notes.delivered === true) {
        this.#inFlight.track(track.done());
        continue;
      }
      if ('media_group_id' in message && message.media_group_id) {
        this.#albumIds.set(entry.key, entry.id);
        this.#albums.add(message);
        continue;
      }
      const intent = route(message, this.#context());
      this.#inFlight.track(intent.kind === 'photo' ? this.#jobs.single(intent, track) : track.done());
    }
  }
}
