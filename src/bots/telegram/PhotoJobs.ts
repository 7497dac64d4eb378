/**
 * The work of the Telegram adapter: one photo, or an album, from the request to the reply. Options
 * are parsed once, here, from the chat's defaults and the caption; every accepted photo ends in a
 * reply: the cartoon, or a friendly error.
 */
import type { InputMediaDocument, InputMediaPhoto, ReplyParameters } from 'telegraf/types';
import { ToonError, toToonError, type CartoonOptions, type CartoonResult, type Engine, type Logger } from '../../engine/index.ts';
import { errorText, pickLang, texts, type Lang } from '../../i18n/index.ts';
import { resultCaption, textContext } from '../shared/captions.ts';
import { download } from '../shared/download.ts';
import { QueueStatus } from '../shared/QueueStatus.ts';
import { unknownWordError, type ParsedText } from '../shared/textOptions.ts';
import type { Media } from './media.ts';
import type { TelegramOptions } from './options.ts';
import type { PhotoRequest } from './route.ts';
import type { Outbox } from './send.ts';
import type { SettingsMenu } from './SettingsMenu.ts';

/** One photo to cartoonise, and where the answer goes. */
interface Target {
  chatId: number;
  /** The message that holds the photo: results reply to it. */
  photoMessageId: number;
  media: Media;
  userId: number;
}

interface Done {
  target: Target;
  result: CartoonResult;
  totalMs: number;
}

type Limits = Pick<TelegramOptions, 'maxDownloadBytes' | 'downloadTimeoutMs' | 'maxPhotoBytes'>;

export class PhotoJobs {
  constructor(
    private readonly engine: Engine,
    private readonly out: Outbox,
    private readonly settings: SettingsMenu,
    private readonly limits: Limits,
    private readonly log: Logger,
  ) {}

  /** One photo: options, then the job; the reply is sent before this resolves. */
  async single(request: PhotoRequest): Promise<void> {
    const lang = pickLang(request.asker.from?.language_code);
    const target = this.#target(request.photo, request.media, request.asker);
    const options = this.#options(target.chatId, request.text);
    if (options instanceof ToonError) return this.#sendError(request.asker.chat.id, request.asker.message_id, lang, options);
    const status = new QueueStatus(this.out.statusSink(target.chatId, target.photoMessageId), lang);
    const stopAction = this.out.chatAction(target.chatId, target.media.kind === 'photo' ? 'upload_photo' : 'upload_document');
    try {
      const done = await this.#cartoon(target, options, status);
      await this.#sendResult(done.target, done.result, resultCaption(lang, [done.result], done.totalMs));
    } catch (error) {
      await this.#sendError(target.chatId, target.photoMessageId, lang, error);
    } finally {
      stopAction();
      await status.close();
    }
  }

  /** An album: one job at a time (the per-user cap holds, others get their turns), one reply. */
  async album(asker: PhotoRequest['asker'], text: ParsedText, photos: { photo: PhotoRequest['photo']; media: Media }[]): Promise<void> {
    const lang = pickLang(asker.from?.language_code);
    const targets = photos.map((p) => this.#target(p.photo, p.media, asker));
    const head = targets[0];
    if (!head) return;
    const options = this.#options(head.chatId, text);
    if (options instanceof ToonError) return this.#sendError(asker.chat.id, asker.message_id, lang, options);
    const status = new QueueStatus(this.out.statusSink(head.chatId, head.photoMessageId), lang);
    const stopAction = this.out.chatAction(head.chatId, head.media.kind === 'photo' ? 'upload_photo' : 'upload_document');
    const done: Done[] = [];
    const failures: unknown[] = [];
    try {
      for (const [i, target] of targets.entries()) {
        status.item(i, targets.length);
        try {
          done.push(await this.#cartoon(target, options, status));
        } catch (error) {
          failures.push(error);
        }
      }
      await this.#sendAlbum(done, lang);
      if (failures.length > 0) {
        const reason = toToonError(failures[0]);
        const detail = errorText(lang, reason, textContext(this.engine, 'telegram'));
        await this.out.reply(head.chatId, head.photoMessageId, `${texts(lang).batchPartial(failures.length, targets.length)} ${detail}`);
      }
    } finally {
      stopAction();
      await status.close();
    }
  }

  #target(photo: PhotoRequest['photo'], media: Media, asker: PhotoRequest['asker']): Target {
    return { chatId: photo.chat.id, photoMessageId: photo.message_id, media, userId: asker.from?.id ?? 0 };
  }

  /** The chat's defaults overlaid with the caption's options, parsed once. */
  #options(chatId: number, text: ParsedText): CartoonOptions | ToonError {
    const wordError = unknownWordError(text);
    if (wordError) return wordError;
    try {
      return this.engine.parseOptions({ ...this.settings.defaults(chatId), ...text.options });
    } catch (error) {
      return toToonError(error);
    }
  }

  /** Checks what Telegram says of the file, downloads it and runs the job. `totalMs` counts from here. */
  async #cartoon(target: Target, options: CartoonOptions, status: QueueStatus): Promise<Done> {
    const started = performance.now();
    const { media } = target;
    if (media.kind === 'document' && media.mimeType && !media.mimeType.startsWith('image/')) {
      throw new ToonError('UNSUPPORTED_IMAGE', { detail: { mimeType: media.mimeType } });
    }
    if (media.fileSize !== undefined && media.fileSize > this.limits.maxDownloadBytes) {
      throw new ToonError('DOWNLOAD_LIMIT', { detail: { bytes: media.fileSize, maxBytes: this.limits.maxDownloadBytes } });
    }
    const link = await this.out.telegram.getFileLink(media.fileId);
    const image = await download(link, { maxBytes: this.limits.maxDownloadBytes, timeoutMs: this.limits.downloadTimeoutMs });
    const result = await this.engine.submit({ image, options, requester: `telegram:${target.userId}` }, { onPosition: (p) => status.position(p) });
    const totalMs = performance.now() - started;
    this.log.info('telegram job done', { chat: target.chatId, message: target.photoMessageId, user: target.userId, kind: media.kind, ...result.timings, totalMs: Math.round(totalMs) });
    return { target, result, totalMs };
  }

  async #sendResult(target: Target, result: CartoonResult, caption: string): Promise<void> {
    const file = { source: result.image, filename: resultName(target.media, result) };
    const extra = { caption, reply_parameters: multipartReply(target.photoMessageId) };
    const { telegram } = this.out;
    if (target.media.kind === 'photo' && result.image.length <= this.limits.maxPhotoBytes) {
      await this.out.call('sendPhoto', () => telegram.sendPhoto(target.chatId, file, extra));
    } else {
      await this.out.call('sendDocument', () => telegram.sendDocument(target.chatId, file, extra));
    }
  }

  async #sendAlbum(done: Done[], lang: Lang): Promise<void> {
    const [one] = done;
    if (!one) return;
    const caption = resultCaption(lang, done.map((d) => d.result), done.reduce((s, d) => s + d.totalMs, 0));
    if (done.length === 1) return this.#sendResult(one.target, one.result, caption);
    const asPhotos = one.target.media.kind === 'photo' && done.every((d) => d.result.image.length <= this.limits.maxPhotoBytes);
    const media = done.map((d, i) => {
      const item = { media: { source: d.result.image, filename: resultName(d.target.media, d.result) }, ...(i === 0 ? { caption } : {}) };
      return asPhotos ? ({ type: 'photo', ...item } as InputMediaPhoto) : ({ type: 'document', ...item } as InputMediaDocument);
    });
    await this.out.call('sendMediaGroup', () => this.out.telegram.sendMediaGroup(one.target.chatId, media as InputMediaPhoto[], { reply_parameters: multipartReply(one.target.photoMessageId) }));
  }

  async #sendError(chatId: number, replyTo: number, lang: Lang, error: unknown): Promise<void> {
    const toon = toToonError(error);
    if (toon.code === 'INTERNAL') this.log.error('telegram job failed', { chat: chatId, error: toon.cause ?? toon });
    await this.out.reply(chatId, replyTo, errorText(lang, toon, textContext(this.engine, 'telegram')));
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
