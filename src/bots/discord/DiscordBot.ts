/**
 * The Discord adapter's lifecycle and routing: `/cartoon`, the "Cartoonize" context menu and the
 * result buttons, on discord.js with only the Guilds intent (interactions carry their attachments).
 *
 * Every interaction is deferred first, before any download, well inside Discord's 3 s; the
 * deferred reply then shows the place in line and finally carries the image and an embed
 * (CartoonJobs, deliver.ts, ResultButtons).
 */
import { Client, Events, GatewayIntentBits, MessageFlags, type ChatInputCommandInteraction, type Interaction, type MessageContextMenuCommandInteraction } from 'discord.js';
import { ToonError, toToonError, type CartoonOptions, type Engine, type Logger } from '../../engine/index.ts';
import { errorText, pickLang } from '../../i18n/index.ts';
import { textContext } from '../shared/captions.ts';
import { openCommunity, type Community } from '../shared/community.ts';
import { OwnerCommands } from './OwnerCommands.ts';
import { InFlight } from '../shared/InFlight.ts';
import type { LateOutcome, ReplyAddress, RunningBot } from '../shared/RunningBot.ts';
import { CartoonJobs, senderOf, type JournalledInteraction } from './CartoonJobs.ts';
import { lateInteraction } from './lateInteraction.ts';
import { JobTrack } from '../shared/Journal.ts';
import { CARTOON_COMMAND, CONTEXT_COMMAND, OWNER_COMMAND, QUEUE_COMMAND } from './commands.ts';
import type { DiscordOptions } from './options.ts';
import { ResultButtons } from './ResultButtons.ts';

const MAX_CONTEXT_IMAGES = 4;

export class DiscordBot implements RunningBot {
  readonly name = 'discord';
  readonly client: Client;
  readonly #engine: Engine;
  readonly #inFlight: InFlight;
  readonly #jobs: CartoonJobs;
  readonly #buttons: ResultButtons;

  readonly #owners: OwnerCommands;
  readonly #community: Community;

  private constructor(engine: Engine, opts: DiscordOptions, log: Logger, community: Community) {
    this.#engine = engine;
    this.#community = community;
    this.#inFlight = new InFlight(log, 'discord interaction');
    this.#jobs = new CartoonJobs(engine, opts, log, () => this.#buttons, community);
    this.#owners = new OwnerCommands(engine, community, log);
    this.#buttons = new ResultButtons((interaction, lang, source, options, ephemeral) => this.#jobs.run(interaction, lang, [source], options, ephemeral));
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds],
      ...(opts.apiRoot ? { rest: { api: opts.apiRoot } } : {}),
    });
    this.client.on(Events.InteractionCreate, (interaction) => this.#inFlight.track(this.#route(interaction)));
    this.client.rest.on('rateLimited', (info) => log.warn('discord rate limited', { route: info.route, retryAfterMs: info.retryAfter, global: info.global }));
    this.client.on(Events.Error, (error) => log.error('discord client error', { error }));
  }

  static async start(engine: Engine, opts: DiscordOptions, log: Logger, community: Community = openCommunity(log)): Promise<DiscordBot> {
    const bot = new DiscordBot(engine, opts, log, community);
    const ready = new Promise<void>((resolve) => bot.client.once(Events.ClientReady, () => resolve()));
    await bot.client.login(opts.token);
    await ready;
    log.info('discord bot started', { user: bot.client.user?.id });
    bot.#recover(opts, log);
    return bot;
  }

  /**
   * The jobs a killed run left in the journal, in their order: run again and answered by editing
   * their deferred replies while the tokens live; one whose token has died is logged with its
   * requester (nobody can be told any more).
   */
  #recover(opts: DiscordOptions, log: Logger): void {
    const journal = this.#community.journal;
    const left = journal?.recovered.filter((e) => e.key.startsWith('discord:')) ?? [];
    if (!journal || left.length === 0 || !this.client.isReady()) return;
    log.info('journal: answering the interactions a previous run accepted', { jobs: left.length });
    for (const entry of left) {
      const job = entry.job as JournalledInteraction;
      const track = new JobTrack(journal, [entry.id], log, true);
      if (Date.now() >= CartoonJobs.createdAt(job.interaction) + opts.tokenLifetimeMs) {
        log.warn('discord: a job from before the restart cannot be answered: its interaction token has expired', {
          user: job.interaction.user.id,
          guild: job.interaction.guildId,
          interaction: job.interaction.id,
        });
        this.#inFlight.track(track.done());
        continue;
      }
      this.#inFlight.track(this.#jobs.run(lateInteraction(this.client, job.interaction), job.lang, job.sources, job.options, job.ephemeral, true, track));
    }
  }

  /** Stops taking interactions, answers the ones in flight, then logs out. */
  async stop(): Promise<void> {
    this.#jobs.stopping = true;
    await this.idle();
    await this.client.destroy();
  }

  abort(): void {
    this.#jobs.downloads.abort(new ToonError('SHUTTING_DOWN'));
  }

  answerLater(replyTo: ReplyAddress, outcome: LateOutcome): Promise<void> {
    return this.#jobs.answerLater(this.client.rest, replyTo, outcome);
  }

  /** Resolves when every reply started so far has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#inFlight.drain();
  }

  async #route(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand() && interaction.commandName === CARTOON_COMMAND) return this.#slash(interaction);
    if (interaction.isMessageContextMenuCommand() && interaction.commandName === CONTEXT_COMMAND) return this.#contextMenu(interaction);
    if (interaction.isChatInputCommand() && interaction.commandName === OWNER_COMMAND) return this.#owners.run(interaction);
    if (interaction.isChatInputCommand() && interaction.commandName === QUEUE_COMMAND) return this.#owners.queue(interaction);
    if (interaction.isButton() && OwnerCommands.handles(interaction.customId)) return this.#owners.cancel(interaction);
    if (interaction.isButton() && ResultButtons.handles(interaction.customId)) return this.#buttons.press(interaction);
  }

  /**
   * A user the lists refuse is told so, visibly to them alone, before anything is deferred or
   * downloaded. @returns whether the interaction may go on
   */
  async #admitted(interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction): Promise<boolean> {
    try {
      await this.#community.access.check(senderOf(interaction));
      return true;
    } catch (error) {
      const lang = pickLang(interaction.locale);
      await interaction.reply({ content: `⚠️ ${errorText(lang, toToonError(error), textContext(this.#engine, 'discord'))}`, flags: MessageFlags.Ephemeral });
      return false;
    }
  }

  async #slash(interaction: ChatInputCommandInteraction): Promise<void> {
    if (!(await this.#admitted(interaction))) return;
    const ephemeral = interaction.options.getBoolean('private') ?? false;
    // Acknowledge first: the 3 s clock runs from the click.
    await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    const lang = pickLang(interaction.locale);
    const attachment = interaction.options.getAttachment('image', true);
    let options: CartoonOptions;
    try {
      options = this.#engine.parseOptions({
        strength: interaction.options.getNumber('strength') ?? undefined,
        resolution: interaction.options.getInteger('resolution') ?? undefined,
        style: interaction.options.getString('style') ?? undefined,
        format: interaction.options.getString('format') ?? undefined,
      });
    } catch (error) {
      return this.#jobs.fail(interaction, lang, error, ephemeral);
    }
    await this.#jobs.run(interaction, lang, [attachment], options, ephemeral, true);
  }

  async #contextMenu(interaction: MessageContextMenuCommandInteraction): Promise<void> {
    if (!(await this.#admitted(interaction))) return;
    await interaction.deferReply();
    const lang = pickLang(interaction.locale);
    const images = [...interaction.targetMessage.attachments.values()].filter((a) => a.contentType?.startsWith('image/') || a.contentType?.startsWith('video/')).slice(0, MAX_CONTEXT_IMAGES);
    if (images.length === 0) return this.#jobs.fail(interaction, lang, new ToonError('UNSUPPORTED_IMAGE'), false);
    await this.#jobs.run(interaction, lang, images, this.#engine.parseOptions(), false, true);
  }
}
