/**
 * The Discord adapter: `/cartoon`, the "Cartoonize" context menu and the result buttons, on
 * discord.js with only the Guilds intent (interactions carry their attachments).
 *
 * Every interaction is deferred first, before any download, well inside Discord's 3 s; the
 * deferred reply then shows the place in line and finally carries the image and an embed.
 */
import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  EmbedBuilder,
  Events,
  GatewayIntentBits,
  MessageFlags,
  type Attachment,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type MessageContextMenuCommandInteraction,
  type RepliableInteraction,
} from 'discord.js';
import { isToonError, parseOptions, ToonError, type CartoonOptions, type CartoonResult, type Engine, type Logger } from '../../engine/index.ts';
import { download } from '../shared/download.ts';
import { fitSize } from '../shared/fitSize.ts';
import { errorText, pickLang, processingMs, texts, timingsCaption, type Lang } from '../shared/i18n.ts';
import { InFlight } from '../shared/InFlight.ts';
import type { RunningBot } from '../shared/RunningBot.ts';
import { CARTOON_COMMAND, CONTEXT_COMMAND, MIN_STRENGTH } from './commands.ts';
import type { DiscordOptions } from './options.ts';

/** What the result buttons need to run again: kept for the token's lifetime. */
interface ResultState {
  requesterId: string;
  source: Pick<Attachment, 'url' | 'size' | 'contentType' | 'width' | 'height' | 'name'>;
  options: CartoonOptions;
  ephemeral: boolean;
  expires: number;
}

const MAX_CONTEXT_IMAGES = 4;
const MAX_STATES = 2000;
const POSITION_EDIT_MS = 1500;

export class DiscordBot implements RunningBot {
  readonly name = 'discord';
  readonly client: Client;
  readonly #engine: Engine;
  readonly #opts: DiscordOptions;
  readonly #log: Logger;
  readonly #inFlight: InFlight;
  readonly #guildJobs = new Map<string, number>();
  readonly #results = new Map<string, ResultState>();
  #stopping = false;

  private constructor(engine: Engine, opts: DiscordOptions, log: Logger) {
    this.#engine = engine;
    this.#opts = opts;
    this.#log = log;
    this.#inFlight = new InFlight(log, 'discord interaction');
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds],
      ...(opts.apiRoot ? { rest: { api: opts.apiRoot } } : {}),
    });
    this.client.on(Events.InteractionCreate, (interaction) => this.#inFlight.track(this.#route(interaction)));
    this.client.rest.on('rateLimited', (info) => this.#log.warn('discord rate limited', { route: info.route, retryAfterMs: info.retryAfter, global: info.global }));
    this.client.on(Events.Error, (error) => this.#log.error('discord client error', { error }));
  }

  static async start(engine: Engine, opts: DiscordOptions, log: Logger): Promise<DiscordBot> {
    const bot = new DiscordBot(engine, opts, log);
    const ready = new Promise<void>((resolve) => bot.client.once(Events.ClientReady, () => resolve()));
    await bot.client.login(opts.token);
    await ready;
    log.info('discord bot started', { user: bot.client.user?.id });
    return bot;
  }

  /** Stops taking interactions, answers the ones in flight, then logs out. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.idle();
    await this.client.destroy();
  }

  /** Resolves when every reply started so far has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#inFlight.drain();
  }


  /** When the token's 15 minutes started: its creation, or our clock if that is behind it. */
  #createdAt(interaction: RepliableInteraction): number {
    return Math.min(interaction.createdTimestamp, Date.now());
  }

  async #route(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand() && interaction.commandName === CARTOON_COMMAND) return this.#slash(interaction);
    if (interaction.isMessageContextMenuCommand() && interaction.commandName === CONTEXT_COMMAND) return this.#contextMenu(interaction);
    if (interaction.isButton() && interaction.customId.startsWith('toon:')) return this.#button(interaction);
  }

  // ---- entry points ---------------------------------------------------------------------------

  async #slash(interaction: ChatInputCommandInteraction): Promise<void> {
    const ephemeral = interaction.options.getBoolean('private') ?? false;
    // Acknowledge first: the 3 s clock runs from the click.
    await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    const lang = pickLang(interaction.locale);
    const attachment = interaction.options.getAttachment('image', true);
    let options: CartoonOptions;
    try {
      options = parseOptions({
        strength: interaction.options.getNumber('strength') ?? undefined,
        resolution: interaction.options.getInteger('resolution') ?? undefined,
        style: interaction.options.getString('style') ?? undefined,
        format: interaction.options.getString('format') ?? undefined,
      }, this.#engine.styles().map((s) => s.id), { style: this.#engine.defaultStyle });
    } catch (error) {
      return this.#fail(interaction, lang, error, ephemeral);
    }
    await this.#run(interaction, lang, [attachment], options, ephemeral);
  }

  async #contextMenu(interaction: MessageContextMenuCommandInteraction): Promise<void> {
    await interaction.deferReply();
    const lang = pickLang(interaction.locale);
    const images = [...interaction.targetMessage.attachments.values()].filter((a) => a.contentType?.startsWith('image/')).slice(0, MAX_CONTEXT_IMAGES);
    if (images.length === 0) return this.#fail(interaction, lang, new ToonError('UNSUPPORTED_IMAGE'), false);
    await this.#run(interaction, lang, images, parseOptions({}, undefined, { style: this.#engine.defaultStyle }), false);
  }

  async #button(interaction: ButtonInteraction): Promise<void> {
    const lang = pickLang(interaction.locale);
    const t = texts(lang);
    const state = this.#results.get(interaction.message.id);
    const action = interaction.customId.slice('toon:'.length);
    if (!state || state.expires < Date.now()) {
      await interaction.reply({ content: t.discordExpired, flags: MessageFlags.Ephemeral });
      return;
    }
    if (action === 'delete') {
      if (interaction.user.id !== state.requesterId) {
        await interaction.reply({ content: t.discordNotYours(state.requesterId), flags: MessageFlags.Ephemeral });
        return;
      }
      await interaction.deferUpdate();
      await interaction.deleteReply();
      this.#results.delete(interaction.message.id);
      return;
    }
    const step = action === 'stronger' ? 0.2 : -0.2;
    const strength = Math.round(Math.min(1, Math.max(MIN_STRENGTH, state.options.strength + step)) * 10) / 10;
    await interaction.deferReply(state.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    // The one who clicked asks for the new picture: it counts against their cap, and is theirs to delete.
    await this.#run(interaction, lang, [state.source], { ...state.options, strength }, state.ephemeral);
  }

  // ---- the work ----------------------------------------------------------------------------------

  /** Checks, downloads and cartoonises up to four images for one deferred interaction. */
  async #run(
    interaction: RepliableInteraction,
    lang: Lang,
    sources: ResultState['source'][],
    options: CartoonOptions,
    ephemeral: boolean,
  ): Promise<void> {
    const t = texts(lang);
    const requesterId = interaction.user.id;
    const guild = interaction.guildId ?? `dm:${interaction.user.id}`;
    if (this.#stopping) return this.#fail(interaction, lang, new ToonError('SHUTTING_DOWN'), ephemeral);
    if ((this.#guildJobs.get(guild) ?? 0) >= this.#opts.maxJobsPerGuild) {
      return this.#fail(interaction, lang, refusal('QUEUE_FULL', t.discordGuildBusy), ephemeral);
    }
    // The token dies 15 minutes after the click; refuse what cannot finish inside it.
    const createdAt = this.#createdAt(interaction);
    const remainingMs = createdAt + this.#opts.tokenLifetimeMs - Date.now();
    const stats = this.#engine.stats();
    const estimateMs = (stats.waiting + stats.running + sources.length) * (stats.p50 ?? 5000);
    if (estimateMs > remainingMs) return this.#fail(interaction, lang, refusal('QUEUE_FULL', t.discordTooLong), ephemeral);

    this.#guildJobs.set(guild, (this.#guildJobs.get(guild) ?? 0) + 1);
    const progress = this.#progress(interaction, lang);
    try {
      const results: { result: CartoonResult; source: ResultState['source'] }[] = [];
      for (const [i, source] of sources.entries()) {
        this.#checkAttachment(source);
        const image = await download(new URL(source.url), {
          maxBytes: this.#opts.maxDownloadBytes,
          timeoutMs: this.#opts.downloadTimeoutMs,
          allowHosts: this.#opts.attachmentHosts,
        }).catch((error: unknown) => {
          if (isToonError(error)) throw error;
          this.#log.warn('attachment download refused or failed', { reason: error instanceof Error ? error.message : String(error) });
          throw refusal('UNSUPPORTED_IMAGE', t.discordDownloadFailed, error);
        });
        const result = await this.#engine.submit(
          { image, options, requester: `discord:${requesterId}`, deadlineMs: Math.max(1000, createdAt + this.#opts.tokenLifetimeMs - Date.now()) },
          { onPosition: (p) => progress(p, i, sources.length) },
        );
        results.push({ result, source });
      }
      await progress.done();
      await this.#deliver(interaction, lang, results, options, ephemeral, requesterId);
    } catch (error) {
      await progress.done();
      await this.#fail(interaction, lang, error, ephemeral);
    } finally {
      const left = (this.#guildJobs.get(guild) ?? 1) - 1;
      if (left > 0) this.#guildJobs.set(guild, left);
      else this.#guildJobs.delete(guild);
    }
  }

  /** Refuses before downloading: type, size, and pixel count from the payload. */
  #checkAttachment(source: ResultState['source']): void {
    if (!source.contentType?.startsWith('image/')) throw new ToonError('UNSUPPORTED_IMAGE', { detail: { contentType: source.contentType } });
    if (source.size > this.#opts.maxDownloadBytes) throw new ToonError('IMAGE_TOO_LARGE', { detail: { bytes: source.size } });
    if (source.width && source.height && source.width * source.height > this.#engine.limits.maxPixels) {
      throw new ToonError('IMAGE_TOO_LARGE', { detail: { width: source.width, height: source.height } });
    }
  }

  async #deliver(
    interaction: RepliableInteraction,
    lang: Lang,
    results: { result: CartoonResult; source: ResultState['source'] }[],
    options: CartoonOptions,
    ephemeral: boolean,
    requesterId: string,
  ): Promise<void> {
    const t = texts(lang);
    // Discord's limit for this interaction (10 MiB unless the server is boosted), shared by the files.
    const limit = Math.floor((interaction.attachmentSizeLimit ?? 10 * 1024 * 1024) / results.length);
    const files: AttachmentBuilder[] = [];
    let resized = false;
    for (const [i, { result }] of results.entries()) {
      const fitted = await fitSize(result.image, result.format, result.width, result.height, limit);
      resized ||= fitted.changed;
      files.push(new AttachmentBuilder(fitted.image, { name: `cartoon${results.length > 1 ? `-${i + 1}` : ''}.${fitted.format === 'jpeg' ? 'jpg' : fitted.format}` }));
    }
    const first = results[0]?.result as CartoonResult;
    const processing = results.reduce((s, r) => s + processingMs(r.result), 0);
    const queued = results.reduce((s, r) => s + r.result.timings.queued, 0);
    const total = Date.now() - this.#createdAt(interaction);
    const embed = new EmbedBuilder()
      .setColor(0xf28c28)
      .addFields(
        { name: t.settingsLabels.strength, value: String(options.strength), inline: true },
        { name: t.settingsLabels.resolution, value: `${first.width}x${first.height}`, inline: true },
        { name: t.settingsLabels.style, value: options.style, inline: true },
      )
      .setFooter({
        text: timingsCaption(lang, queued, processing, total) + (resized ? ` · ${t.discordResized}` : '') + (results.some((r) => r.result.portrait?.noFace) ? `\n${t.noFace}` : ''),
      })
      .setImage(`attachment://${files[0]?.name}`);
    const buttons = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId('toon:stronger').setLabel(t.discordStronger).setStyle(ButtonStyle.Primary).setDisabled(options.strength >= 1),
      new ButtonBuilder().setCustomId('toon:softer').setLabel(t.discordSofter).setStyle(ButtonStyle.Secondary).setDisabled(options.strength <= MIN_STRENGTH),
      new ButtonBuilder().setCustomId('toon:delete').setLabel(t.discordDelete).setStyle(ButtonStyle.Danger),
    );
    const message = await interaction.editReply({ content: '', embeds: [embed], files, components: [buttons] });
    const [firstSource] = results;
    if (firstSource) this.#remember(message.id, { requesterId, source: firstSource.source, options, ephemeral, expires: this.#createdAt(interaction) + this.#opts.tokenLifetimeMs });
    this.#log.info('discord job done', { interaction: interaction.id, user: interaction.user.id, guild: interaction.guildId, images: results.length, totalMs: total });
  }

  #remember(messageId: string, state: ResultState): void {
    this.#results.set(messageId, state);
    if (this.#results.size > MAX_STATES) {
      const oldest = this.#results.keys().next().value;
      if (oldest !== undefined) this.#results.delete(oldest);
    }
  }

  /** Edits the deferred reply with the place in line, at most once per 1.5 s. */
  #progress(interaction: RepliableInteraction, lang: Lang): ((position: number, index: number, count: number) => void) & { done: () => Promise<void> } {
    const t = texts(lang);
    let shown = '';
    let wanted = '';
    let lastAt = 0;
    let timer: NodeJS.Timeout | undefined;
    let chain: Promise<unknown> = Promise.resolve();
    let finished = false;
    const flush = (): void => {
      timer = undefined;
      if (finished || wanted === shown) return;
      const text = wanted;
      lastAt = Date.now();
      chain = chain.then(() => interaction.editReply({ content: text })).then(() => {
        shown = text;
      }, (error: unknown) => this.#log.warn('position edit failed', { error }));
    };
    const update = (position: number, index: number, count: number): void => {
      const prefix = count > 1 ? `${index + 1}/${count} · ` : '';
      wanted = position >= 1 ? `${prefix}${t.discordInLine(position)}` : shown ? `${prefix}${t.processing}` : '';
      if (!wanted || timer) return;
      timer = setTimeout(flush, Math.max(0, lastAt + POSITION_EDIT_MS - Date.now()));
    };
    return Object.assign(update, {
      done: async () => {
        finished = true;
        if (timer) clearTimeout(timer);
        await chain;
      },
    });
  }

  async #fail(interaction: RepliableInteraction, lang: Lang, error: unknown, ephemeral: boolean): Promise<void> {
    const toon = isToonError(error) ? error : new ToonError('INTERNAL', { cause: error });
    if (toon.code === 'INTERNAL') this.#log.error('discord job failed', { interaction: interaction.id, error: toon.cause ?? toon });
    // Refusals this adapter words itself carry their text; engine codes map to the shared texts.
    const text = typeof toon.detail.text === 'string' ? toon.detail.text : errorText(lang, toon, this.#engine.styles().map((s) => s.id));
    try {
      // The deferred reply is already private for `private`; its error is too.
      if (interaction.deferred || interaction.replied) await interaction.editReply({ content: `⚠️ ${text}`, embeds: [], files: [], components: [] });
      else await interaction.reply({ content: `⚠️ ${text}`, flags: ephemeral ? MessageFlags.Ephemeral : undefined });
    } catch (sendError) {
      this.#log.warn('could not send the error to the user', { interaction: interaction.id, error: sendError });
    }
  }
}

/** An error whose user text this adapter wrote itself. */
function refusal(code: 'QUEUE_FULL' | 'UNSUPPORTED_IMAGE', text: string, cause?: unknown): ToonError {
  return new ToonError(code, { message: text, detail: { text }, ...(cause === undefined ? {} : { cause }) });
}
