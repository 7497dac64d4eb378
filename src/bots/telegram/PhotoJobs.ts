/**
 * The work of the Telegram adapter: one photo, or an album, from the request to the reply. Options
 * are parsed once, here, from the chat's defaults and the caption; every accepted photo ends in a
 * reply: the cartoon, or a friendly error.
 */
import { toToonError, type CartoonOptions, type CartoonResult, type Engine, type Logger } from '../../engine/index.ts';
import { ToonError } from '../shared/errors.ts';
import { pickLang, texts, type Lang } from '../../i18n/index.ts';
import { resultCaption } from '../shared/captions.ts';
import { download } from '../shared/download.ts';
import { GroupCaps } from '../shared/GroupCaps.ts';
import { JobRunner, pressed } from '../shared/JobRunner.ts';
import { JobTrack } from '../shared/Journal.ts';
import type { Cancellable } from '../shared/Cancels.ts';
import type { Community } from '../shared/community.ts';
import { withTimeout } from '../shared/timeout.ts';
import { QueueStatus } from '../shared/QueueStatus.ts';
import { unknownWordError, type ParsedText } from '../shared/textOptions.ts';
import { MAX_ALBUM } from './AlbumCollector.ts';
import { acceptedType, clipRequest, type Media } from './media.ts';
import { Delivery, type Done, type Target } from './deliver.ts';
import type { TelegramOptions } from './options.ts';
import type { PhotoRequest } from './route.ts';
import type { Outbox } from './send.ts';
import type { LateOutcome, ReplyAddress } from '../shared/RunningBot.ts';
import type { SettingsMenu } from './SettingsMenu.ts';

/** A job's reply address, kept with the job in scale-out mode (plain JSON). */
type LateAddress = { platform: 'telegram'; chatId: number; messageId: number; userId: number; lang: Lang; media: Media; journal: string };

/** A message's key in the journal (TelegramBot writes it, a scale-out restart looks it up): unique per chat and message. */
export const journalKey = (message: { chat: { id: number }; message_id: number }): string => `telegram:${message.chat.id}:${message.message_id}`;

type Limits = Pick<TelegramOptions, 'maxDownloadBytes' | 'downloadTimeoutMs' | 'maxPhotoBytes' | 'localFiles' | 'maxJobsPerGroup'>;

/** A job's options: as asked, and for a compressed photo's reply. */
type JobOptions = { options: CartoonOptions; photo: CartoonOptions };

/**
 * A compressed photo's reply when no format is asked for: Telegram re-encodes every photo it gets
 * as its own JPEG, so a lossless PNG upload buys nothing. Chosen by measurement
 * (scripts/telegram-jpeg.ts, docs/BENCHMARKS.md): after Telegram's re-encoding, quality 88 with
 * 4:2:0 chroma is within 0.4 dB of a PNG upload (43.4 against 43.8 dB PSNR to the cartoon at
 * 1024), for a tenth of the bytes.
 */
const PHOTO_REPLY = { format: 'jpeg', quality: 88 } as const;

/** Items of one sendMediaGroup (Telegram's limit). */
const ALBUM_CHUNK = 10;

export class PhotoJobs {
  /** Aborted when a stop's grace period is over: ends downloads under way. */
  readonly #downloads = new AbortController();
  readonly #groups: GroupCaps;
  readonly #delivery: Delivery;
  readonly #runner: JobRunner;

  constructor(
    private readonly engine: Engine,
    private readonly out: Outbox,
    private readonly settings: SettingsMenu,
    private readonly limits: Limits,
    private readonly log: Logger,
    private readonly community: Community,
  ) {
    this.#groups = new GroupCaps(limits.maxJobsPerGroup);
    this.#runner = new JobRunner(engine, 'telegram', log, community);
    this.#delivery = new Delivery(out, limits, (chatId, replyTo, lang, error) => this.#sendError(chatId, replyTo, lang, error));
  }

  /**
   * One photo: options, then the job; the reply is sent before this resolves. `track`: its lines
   * in the journal, marked delivered when the reply is out and done once the status is cleaned up.
   */
  async single(request: PhotoRequest, track = JobTrack.NONE): Promise<void> {
    try {
      await this.#single(request, track);
    } finally {
      await track.done();
    }
  }

  async #single(request: PhotoRequest, track: JobTrack): Promise<void> {
    const lang = pickLang(request.asker.from?.language_code);
    const target = this.#target(request.photo, request.media, request.asker);
    if (!(await this.#admitted(target, request.asker, lang))) return;
    const options = this.#options(target.chatId, request.text);
    if (options instanceof ToonError) return this.#sendError(request.asker.chat.id, request.asker.message_id, lang, options);
    const { status, current } = this.#status(target, lang, track);
    const stopAction = this.out.chatAction(target.chatId, chatActionFor(target.media));
    let last: string | undefined;
    try {
      const done = await this.#cartoon(target, options, status, lang, current, { track, key: journalKey(request.asker), of: 1 });
      await this.#delivery.one(done.target, done.result, resultCaption(lang, [done.result], done.totalMs), lang);
    } catch (error) {
      if (pressed(error)) last = texts(lang).ops.cancelled;
      else await this.#sendError(target.chatId, target.photoMessageId, lang, error);
    } finally {
      stopAction();
      await track.delivered();
      await status.close(last);
    }
  }

  /**
   * Whether the sender may use the bot here (lists): a refusal is silent in groups, and said once
   * a day in a private chat.
   */
  async #admitted(target: Target, asker: PhotoRequest['asker'], lang: Lang): Promise<boolean> {
    const place = target.chatId < 0 ? `telegram:chat:${target.chatId}` : undefined;
    try {
      await this.community.access.check({ user: `telegram:${target.userId}`, ...(place ? { place } : {}) });
      this.community.stats?.place(place);
      return true;
    } catch (error) {
      // A refusal by the lists is said once a day in private (silent in groups); anything else
      // (the lists could not be read) is answered like any error.
      const refusal = toToonError(error);
      if (refusal.code !== 'NOT_AVAILABLE' || refusal.detail.notify === true) await this.#sendError(asker.chat.id, asker.message_id, lang, refusal);
      return false;
    }
  }

  /** The status message, with the Cancel button of the job in hand; its id goes in the journal (a restart deletes it). */
  #status(target: Target, lang: Lang, track: JobTrack): { status: QueueStatus; current: { job?: Cancellable } } {
    const current: { job?: Cancellable } = {};
    const button = () => (current.job ? { text: texts(lang).ops.cancel, callback_data: `cancel:${current.job.token}` } : undefined);
    const shown = (id: number) => track.note({ status: { chat: target.chatId, message: id } });
    return { status: new QueueStatus(this.out.statusSink(target.chatId, target.photoMessageId, button, shown), lang), current };
  }

  /**
   * An album: one job at a time (the per-user cap holds, others get their turns), answered in
   * albums of up to 10 as they are done (so a long one never holds all its results in memory).
   */
  async album(asker: PhotoRequest['asker'], text: ParsedText, photos: { photo: PhotoRequest['photo']; media: Media }[], skipped = 0, track = JobTrack.NONE): Promise<void> {
    try {
      await this.#album(asker, text, photos, skipped, track);
    } finally {
      await track.done();
    }
  }

  async #album(asker: PhotoRequest['asker'], text: ParsedText, photos: { photo: PhotoRequest['photo']; media: Media }[], skipped: number, track: JobTrack): Promise<void> {
    const lang = pickLang(asker.from?.language_code);
    const targets = photos.map((p) => this.#target(p.photo, p.media, asker));
    const head = targets[0];
    if (!head) return;
    if (!(await this.#admitted(head, asker, lang))) return;
    const options = this.#options(head.chatId, text);
    if (options instanceof ToonError) return this.#sendError(asker.chat.id, asker.message_id, lang, options);
    const { status, current } = this.#status(head, lang, track);
    const stopAction = this.out.chatAction(head.chatId, chatActionFor(head.media));
    let chunk: Done[] = [];
    const failures: unknown[] = [];
    try {
      for (const [i, target] of targets.entries()) {
        status.item(i, targets.length);
        try {
          chunk.push(await this.#cartoon(target, options, status, lang, current, { track, key: journalKey({ chat: { id: target.chatId }, message_id: target.photoMessageId }), of: targets.length }));
        } catch (error) {
          failures.push(error);
        }
        if (chunk.length === ALBUM_CHUNK || (i === targets.length - 1 && chunk.length > 0)) {
          await this.#delivery.album(chunk, lang);
          chunk = [];
        }
      }
      const t = texts(lang);
      const notes: string[] = [];
      if (failures.length > 0) notes.push(`${t.batchPartial(failures.length, targets.length)} ${this.#runner.describe(lang, failures[0], { chat: head.chatId }).text}`);
      if (skipped > 0) notes.push(t.batchSkipped(skipped, MAX_ALBUM));
      if (notes.length > 0) await this.out.reply(head.chatId, head.photoMessageId, notes.join('\n'));
    } finally {
      stopAction();
      await track.delivered();
      await status.close();
    }
  }

  #target(photo: PhotoRequest['photo'], media: Media, asker: PhotoRequest['asker']): Target {
    return { chatId: photo.chat.id, photoMessageId: photo.message_id, media, userId: asker.from?.id ?? 0 };
  }

  /**
   * The chat's defaults overlaid with the caption's options, parsed once; and the same for a
   * compressed photo's reply, which is a JPEG (PHOTO_REPLY) unless a format was asked for.
   */
  #options(chatId: number, text: ParsedText): JobOptions | ToonError {
    const wordError = unknownWordError(text);
    if (wordError) return wordError;
    try {
      const asked = { ...this.settings.defaults(chatId), ...text.options };
      const options = this.engine.parseOptions(asked);
      return { options, photo: asked.format === undefined ? this.engine.parseOptions({ ...asked, ...PHOTO_REPLY }) : options };
    } catch (error) {
      return toToonError(error);
    }
  }

  /**
   * Checks what Telegram says of the file, downloads it and runs the job. `totalMs` counts from here.
   * `journal`: the job's lines, and this photo's key there (the asker's message, or the album
   * item's), kept with the job in scale-out mode so that a restart answers it once.
   */
  async #cartoon(target: Target, chosen: JobOptions, status: QueueStatus, lang: Lang, current: { job?: Cancellable }, journal: { track: JobTrack; key: string; of: number }): Promise<Done> {
    const started = performance.now();
    const user = `telegram:${target.userId}`;
    const { media } = target;
    const options = media.kind === 'photo' ? chosen.photo : chosen.options;
    if (media.kind === 'document' && media.mimeType && !acceptedType(media.mimeType)) {
      throw new ToonError('UNSUPPORTED_IMAGE', { detail: { mimeType: media.mimeType } });
    }
    if (media.fileSize !== undefined && media.fileSize > this.limits.maxDownloadBytes) {
      throw new ToonError('DOWNLOAD_LIMIT', { detail: { bytes: media.fileSize, maxBytes: this.limits.maxDownloadBytes } });
    }
    // The place in line is held before a byte is fetched: a user over the cap, or a full line,
    // is refused without downloading anything.
    // Group chats (negative ids) share the line fairly with each other; private chats have the per-user cap.
    const releaseGroup = target.chatId < 0 ? this.#groups.hold(String(target.chatId)) : () => undefined;
    let result: CartoonResult;
    try {
      const replyTo: LateAddress = { platform: 'telegram', chatId: target.chatId, messageId: target.photoMessageId, userId: target.userId, lang, media: target.media, journal: journal.key };
      result = await this.#runner.run({
        requester: user,
        fetch: () => this.#download(media),
        request: (image) => ({ image, options, replyTo, clip: clipRequest(media) }),
        onPosition: (p) => status.position(p),
        onProgress: (p) => status.progress(p),
        onHandle: (handle) => (current.job = handle),
        onDurable: () => journal.track.handed(journal.of),
        prepaid: journal.track.recovered,
      });
    } finally {
      releaseGroup();
    }
    const totalMs = performance.now() - started;
    this.log.info('telegram job done', { chat: target.chatId, message: target.photoMessageId, user: target.userId, kind: media.kind, ...result.timings, totalMs: Math.round(totalMs) });
    return { target, result, totalMs };
  }

  /** getFile and the download, each within its time limit. */
  async #download(media: Media): Promise<Buffer> {
    let link: URL;
    try {
      link = await withTimeout('telegram getFile', this.limits.downloadTimeoutMs, () => this.out.telegram.getFileLink(media.fileId));
    } catch (error) {
      throw new ToonError('DOWNLOAD_FAILED', { detail: { reason: `getFile: ${error instanceof Error ? error.message : String(error)}` }, cause: error });
    }
    return download(link, { maxBytes: this.limits.maxDownloadBytes, timeoutMs: this.limits.downloadTimeoutMs, localFiles: this.limits.localFiles === true, signal: this.#downloads.signal });
  }

  /**
   * Answers a photo a previous run of the bot accepted (scale-out mode: the bot restarted while a
   * worker had the job): the cartoon as a reply to the photo, or the error's text.
   */
  async answerLater(replyTo: ReplyAddress, outcome: LateOutcome): Promise<void> {
    const address = replyTo as LateAddress;
    const lang = pickLang(address.lang);
    const target: Target = { chatId: address.chatId, photoMessageId: address.messageId, media: address.media, userId: address.userId };
    if ('error' in outcome) return this.#sendError(target.chatId, target.photoMessageId, lang, outcome.error);
    await this.#delivery.one(target, outcome.result, resultCaption(lang, [outcome.result], outcome.result.timings.total), lang);
  }

  /** Ends every download under way with SHUTTING_DOWN. */
  abortDownloads(): void {
    this.#downloads.abort(new ToonError('SHUTTING_DOWN'));
  }

  async #sendError(chatId: number, replyTo: number, lang: Lang, error: unknown): Promise<void> {
    await this.out.reply(chatId, replyTo, this.#runner.describe(lang, error, { chat: chatId }).text);
  }
}

/** What the chat shows while the job runs ("sending a photo...", "recording a video message..."). */
function chatActionFor(media: Media): 'upload_photo' | 'upload_document' | 'upload_video' | 'record_video_note' {
  if (media.kind === 'photo') return 'upload_photo';
  if (media.kind === 'video_note') return 'record_video_note';
  return media.kind === 'document' ? 'upload_document' : 'upload_video';
}
