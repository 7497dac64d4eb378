/**
 * The work of the Discord adapter, for one deferred interaction: refusals before any download
 * (shutting down, the server's cap, what cannot finish within the token's 15 minutes), then up to
 * four images through the engine, the place in line on the deferred reply, and the result or a
 * friendly error in it.
 */
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, Routes, type REST, type RepliableInteraction } from 'discord.js';
import { JobTrack } from '../shared/Journal.ts';
import { extensionOf, type CartoonOptions, type CartoonResult, type Engine, type Logger } from '../../engine/index.ts';
import { ToonError } from '../shared/errors.ts';
import { pickLang, texts, type Lang } from '../../i18n/index.ts';
import type { Sender } from '../shared/access/Access.ts';
import type { Cancellable } from '../shared/Cancels.ts';
import type { Community } from '../shared/community.ts';
import { resultCaption } from '../shared/captions.ts';
import { fitSize } from '../shared/fitSize.ts';
import type { LateOutcome, ReplyAddress } from '../shared/RunningBot.ts';
import { download } from '../shared/download.ts';
import { GroupCaps } from '../shared/GroupCaps.ts';
import { JobRunner, pressed } from '../shared/JobRunner.ts';
import { QueueStatus, type StatusSink } from '../shared/QueueStatus.ts';
import { DEFAULT_UPLOAD_LIMIT, deliver } from './deliver.ts';
import type { DiscordOptions } from './options.ts';
import type { ImageSource, ResultButtons } from './ResultButtons.ts';

/** Custom ids of Cancel buttons: the prefix, then the job's token. */
export const CANCEL_PREFIX = 'toonbot-cancel:';

/**
 * What a job needs of its interaction: a live one, or one rebuilt from the journal after a restart
 * (lateInteraction.ts), whose deferred reply is edited through the interaction's webhook.
 */
export type JobInteraction = Pick<
  RepliableInteraction,
  'id' | 'applicationId' | 'token' | 'guildId' | 'channelId' | 'locale' | 'createdTimestamp' | 'attachmentSizeLimit' | 'deferred' | 'replied' | 'editReply' | 'reply'
> & { user: { id: string } };

/** A Discord job as the journal keeps it: enough to run it again and edit its deferred reply while the token lives. */
export interface JournalledInteraction {
  platform: 'discord';
  interaction: Pick<JobInteraction, 'id' | 'applicationId' | 'token' | 'guildId' | 'channelId' | 'locale' | 'createdTimestamp' | 'attachmentSizeLimit'> & { user: { id: string } };
  lang: Lang;
  sources: ImageSource[];
  options: CartoonOptions;
  ephemeral: boolean;
}

/** Where a job's answer goes after a restart (scale-out mode): the interaction's webhook while its token lives. */
type LateAddress = { platform: 'discord'; applicationId: string; token: string; lang: string; expiresAt: number; journal: string };

export class CartoonJobs {
  readonly #guilds: GroupCaps;
  readonly #runner: JobRunner;
  /** Set once the adapter stops: new work is refused, work under way finishes. */
  stopping = false;
  /** Aborted when a stop's grace period is over: ends downloads under way. */
  readonly downloads = new AbortController();

  constructor(
    private readonly engine: Engine,
    private readonly opts: DiscordOptions,
    private readonly log: Logger,
    private readonly buttons: () => ResultButtons,
    private readonly community: Community,
  ) {
    this.#guilds = new GroupCaps(opts.maxJobsPerGuild);
    this.#runner = new JobRunner(engine, 'discord', log, community);
  }

  /** When the token's 15 minutes started: its creation, or our clock if that is behind it. */
  static createdAt(interaction: Pick<JobInteraction, 'createdTimestamp'>): number {
    return Math.min(interaction.createdTimestamp, Date.now());
  }

  /**
   * Checks, downloads and cartoonises up to four images for one deferred interaction, written to
   * the journal first (a bot killed meanwhile answers it after its restart, while the token lives).
   * `admitted`: the access lists were checked already (before the deferral, for /cartoon and the
   * menu). `track`: the job's lines in the journal already (a job from before a restart).
   */
  async run(interaction: JobInteraction, lang: Lang, sources: readonly ImageSource[], options: CartoonOptions, ephemeral: boolean, admitted = false, track?: JobTrack): Promise<void> {
    const lines = track ?? (await this.#journalled({ platform: 'discord', interaction: facts(interaction), lang, sources: sources.map(source), options, ephemeral }));
    try {
      await this.#run(interaction, lang, sources, options, ephemeral, admitted, lines);
    } finally {
      // Editing the deferred reply is idempotent: a kill before this line only edits it again.
      await lines.done();
    }
  }

  async #journalled(job: JournalledInteraction): Promise<JobTrack> {
    const journal = this.community.journal;
    if (!journal) return JobTrack.NONE;
    try {
      return new JobTrack(journal, [(await journal.add(`discord:${job.interaction.id}`, job)).id], this.log);
    } catch (error) {
      this.log.error('journal: a job could not be written; it runs, but would not survive a crash', { interaction: job.interaction.id, error });
      return JobTrack.NONE;
    }
  }

  async #run(interaction: JobInteraction, lang: Lang, sources: readonly ImageSource[], options: CartoonOptions, ephemeral: boolean, admitted: boolean, track: JobTrack): Promise<void> {
    const guild = interaction.guildId ?? `dm:${interaction.user.id}`;
    const deadline = CartoonJobs.createdAt(interaction) + this.opts.tokenLifetimeMs;
    const user = `discord:${interaction.user.id}`;
    let release: () => void;
    try {
      if (this.stopping) throw new ToonError('SHUTTING_DOWN');
      if (!admitted) await this.community.access.check(senderOf(interaction));
      this.community.stats?.place(interaction.guildId ? `discord:guild:${interaction.guildId}` : undefined);
      release = this.#guilds.hold(guild);
      try {
        // The token dies 15 minutes after the click; refuse what cannot finish inside it.
        this.engine.admit(sources.length, deadline - Date.now());
      } catch (error) {
        release();
        throw error;
      }
    } catch (error) {
      return this.fail(interaction, lang, error, ephemeral);
    }

    const current: { job?: Cancellable } = {};
    const status = new QueueStatus(
      replySink(interaction, this.log, () => (current.job ? cancelButton(current.job.token, lang) : undefined)),
      lang,
    );
    try {
      const results: CartoonResult[] = [];
      for (const [i, source] of sources.entries()) {
        status.item(i, sources.length);
        this.#checkAttachment(source);
        // For a bot restarted while a worker has the job (scale-out): the interaction to edit, while its token lives.
        const replyTo: LateAddress = { platform: 'discord', applicationId: interaction.applicationId, token: interaction.token, lang, expiresAt: deadline, journal: `discord:${interaction.id}` };
        const fetch = () =>
          download(new URL(source.url), { maxBytes: this.opts.maxDownloadBytes, timeoutMs: this.opts.downloadTimeoutMs, allowHosts: this.opts.attachmentHosts, signal: this.downloads.signal });
        try {
          results.push(
            await this.#runner.run({
              requester: user,
              fetch,
              // A GIF or animated WebP comes back as a GIF (it animates inline), a video as an MP4.
              request: (image) => ({ image, options, deadlineMs: Math.max(1000, deadline - Date.now()), replyTo, clip: { sound: true } }),
              onPosition: (p) => status.position(p),
              onProgress: (p) => status.progress(p),
              onHandle: (handle) => (current.job = handle),
              onDurable: () => track.handed(sources.length),
              prepaid: track.recovered,
            }),
          );
        } catch (error) {
          // Cancelled with its button: the button's press has already said so in the reply.
          if (pressed(error)) return void (await status.close());
          throw error;
        }
      }
      await status.close();
      const totalMs = Date.now() - CartoonJobs.createdAt(interaction);
      const message = await deliver(interaction, lang, results, options, totalMs);
      const [first] = sources;
      if (first) this.buttons().remember(message.id, { requesterId: interaction.user.id, source: first, options, ephemeral, expires: deadline });
      this.log.info('discord job done', { interaction: interaction.id, user: interaction.user.id, guild: interaction.guildId, images: results.length, totalMs });
    } catch (error) {
      await status.close();
      await this.fail(interaction, lang, error, ephemeral);
    } finally {
      release();
    }
  }

  /** Answers the interaction with the error's text, in its deferred reply when there is one. */
  async fail(interaction: JobInteraction, lang: Lang, error: unknown, ephemeral: boolean): Promise<void> {
    const { error: toon, text } = this.#runner.describe(lang, error, { interaction: interaction.id });
    if (toon.code === 'DOWNLOAD_FAILED') this.log.warn('attachment download refused or failed', { reason: toon.detail.reason });
    const content = `⚠️ ${text}`;
    try {
      // The deferred reply is already private for `private`; its error is too.
      if (interaction.deferred || interaction.replied) await interaction.editReply({ content, embeds: [], files: [], components: [] });
      else await interaction.reply({ content, flags: ephemeral ? MessageFlags.Ephemeral : undefined });
    } catch (sendError) {
      this.log.warn('could not send the error to the user', { interaction: interaction.id, error: sendError });
    }
  }

  /**
   * Answers a job a previous run of the bot accepted (scale-out mode), by editing the deferred
   * reply through the interaction's webhook while its token lives (15 minutes).
   */
  async answerLater(rest: REST, replyTo: ReplyAddress, outcome: LateOutcome): Promise<void> {
    const address = replyTo as LateAddress;
    if (Date.now() >= address.expiresAt) return this.log.info('discord: a job finished after its token expired; nobody can be told');
    const lang = pickLang(address.lang);
    const route = Routes.webhookMessage(address.applicationId, address.token, '@original');
    if ('error' in outcome) {
      await rest.patch(route, { auth: false, body: { content: `⚠️ ${this.#runner.describe(lang, outcome.error).text}`, embeds: [], components: [], attachments: [] } });
      return;
    }
    const { result } = outcome;
    const fitted = await fitSize(result.image, result.format, result.width, result.height, DEFAULT_UPLOAD_LIMIT);
    const name = `cartoon.${extensionOf(fitted.format)}`;
    await rest.patch(route, {
      auth: false,
      body: { content: resultCaption(lang, [result], result.timings.total, { resized: fitted.changed }), embeds: [], components: [], attachments: [{ id: 0, filename: name }] },
      files: [{ name, data: fitted.image }],
    });
  }

  /** Refuses before downloading: type, size, and pixel count from the payload. */
  #checkAttachment(source: ImageSource): void {
    if (!source.contentType?.startsWith('image/') && !source.contentType?.startsWith('video/')) throw new ToonError('UNSUPPORTED_IMAGE', { detail: { contentType: source.contentType } });
    if (source.size > this.opts.maxDownloadBytes) throw new ToonError('IMAGE_TOO_LARGE', { detail: { bytes: source.size } });
    if (source.width && source.height && source.width * source.height > this.engine.limits.maxPixels) {
      throw new ToonError('IMAGE_TOO_LARGE', { detail: { width: source.width, height: source.height } });
    }
  }
}

/** The place in line in the deferred reply, with the job's Cancel button while it waits. */
function replySink(interaction: JobInteraction, log: Logger, button: () => ActionRowBuilder<ButtonBuilder> | undefined): StatusSink {
  return {
    kind: 'reply',
    show: async (content) => {
      const row = button();
      await interaction.editReply({ content, components: row ? [row] : [] }).catch((error: unknown) => log.warn('position edit failed', { error }));
    },
    clear: async () => undefined,
  };
}

/** Who asked, and in which server, for the access lists. */
export function senderOf(interaction: Pick<JobInteraction, 'user' | 'guildId' | 'channelId'>): Sender {
  return {
    user: `discord:${interaction.user.id}`,
    ...(interaction.guildId ? { place: `discord:guild:${interaction.guildId}` } : {}),
    ...(interaction.guildId && interaction.channelId ? { channel: `discord:channel:${interaction.channelId}` } : {}),
  };
}

/** The Cancel button of the job with `token`. */
function cancelButton(token: string, lang: Lang): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(`${CANCEL_PREFIX}${token}`).setLabel(texts(lang).ops.cancel).setStyle(ButtonStyle.Secondary));
}

/** The plain facts of an interaction (JSON for the journal). */
function facts(i: JobInteraction): JournalledInteraction['interaction'] {
  return {
    id: i.id,
    applicationId: i.applicationId,
    token: i.token,
    guildId: i.guildId,
    channelId: i.channelId,
    locale: i.locale,
    createdTimestamp: i.createdTimestamp,
    attachmentSizeLimit: i.attachmentSizeLimit,
    user: { id: i.user.id },
  };
}

/** An attachment's plain facts (JSON for the journal). */
function source(a: ImageSource): ImageSource {
  return { url: a.url, size: a.size, contentType: a.contentType, width: a.width, height: a.height, name: a.name };
}
