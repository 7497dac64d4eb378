/**
 * Sending results on Telegram: one as a reply to its photo, or up to 10 as an album, each with
 * fallbacks (a photo Telegram refuses goes as a document, then as a smaller JPEG document).
 */
import type { InputMediaDocument, InputMediaPhoto, ReplyParameters } from 'telegraf/types';
import { extensionOf, type CartoonResult } from '../../engine/index.ts';
import { ToonError } from '../shared/errors.ts';
import type { Lang } from '../../i18n/index.ts';
import { resultCaption } from '../shared/captions.ts';
import { fitSize } from '../shared/fitSize.ts';
import type { Media } from './media.ts';
import type { TelegramOptions } from './options.ts';
import type { Outbox } from './send.ts';

/** One photo to cartoonise, and where the answer goes. */
export interface Target {
  chatId: number;
  /** The message that holds the photo: results reply to it. */
  photoMessageId: number;
  media: Media;
  userId: number;
}

export interface Done {
  target: Target;
  result: CartoonResult;
  totalMs: number;
}

/** A result Telegram refused is sent again as a JPEG document of at most this many bytes. */
const FALLBACK_BYTES = 5 * 1000 * 1000;

export class Delivery {
  constructor(
    private readonly out: Outbox,
    private readonly limits: Pick<TelegramOptions, 'maxPhotoBytes'>,
    private readonly sendError: (chatId: number, replyTo: number, lang: Lang, error: unknown) => Promise<void>,
  ) {}

  /**
   * Sends one result, replying to its photo; every refusal has a next step: a photo Telegram
   * refuses (its size and aspect rules) goes as a document, a refused document as a smaller JPEG
   * document, and when nothing could be sent the user is told. A 403 (the user blocked the bot)
   * ends it: there is nobody to tell.
   * @returns whether the user got the picture
   */
  async one(target: Target, result: CartoonResult, caption: string, lang: Lang): Promise<boolean> {
    const { telegram } = this.out;
    const extra = { caption, reply_parameters: multipartReply(target.photoMessageId) };
    const name = resultName(target.media, result);
    if (result.clip) return this.#clip(target, result, caption, lang);
    const attempts: { what: string; send: () => Promise<unknown> }[] = [];
    if (target.media.kind === 'photo' && result.image.length <= this.limits.maxPhotoBytes) {
      attempts.push({ what: 'sendPhoto', send: () => telegram.sendPhoto(target.chatId, { source: result.image, filename: name }, extra) });
    }
    attempts.push({ what: 'sendDocument', send: () => telegram.sendDocument(target.chatId, { source: result.image, filename: name }, extra) });
    attempts.push({
      what: 'sendDocument (smaller JPEG)',
      send: async () => {
        const smaller = await fitSize(result.image, result.format, result.width, result.height, FALLBACK_BYTES, { reencode: true });
        return telegram.sendDocument(target.chatId, { source: smaller.image, filename: name.replace(/\.[^.]+$/, '.jpg') }, extra);
      },
    });
    for (const attempt of attempts) {
      const outcome = await this.out.try(attempt.what, attempt.send);
      if (outcome.ok) return true;
      if (outcome.code === 403) return false;
    }
    await this.sendError(target.chatId, target.photoMessageId, lang, new ToonError('DELIVERY_FAILED', { detail: { bytes: result.image.length, width: result.width, height: result.height } }));
    return false;
  }

  /**
   * A clip, in kind: a round video note for a video note (no caption: the method has none, so the
   * timings follow as a text), a video for a video, an animation (Telegram's MP4 "GIF") for the
   * rest; sent as a file when Telegram refuses that.
   */
  async #clip(target: Target, result: CartoonResult, caption: string, lang: Lang): Promise<boolean> {
    const { telegram } = this.out;
    const reply = { reply_parameters: multipartReply(target.photoMessageId) };
    const source = { source: result.image, filename: resultName(target.media, result) };
    const kind = target.media.kind;
    const attempts: { what: string; send: () => Promise<unknown> }[] = [];
    if (kind === 'video_note') {
      attempts.push({ what: 'sendVideoNote', send: () => telegram.sendVideoNote(target.chatId, source, { length: result.width, ...reply }) });
    } else if (kind === 'video') attempts.push({ what: 'sendVideo', send: () => telegram.sendVideo(target.chatId, source, { caption, width: result.width, height: result.height, ...reply }) });
    else if (result.format === 'mp4')
      attempts.push({ what: 'sendAnimation', send: () => telegram.sendAnimation(target.chatId, source, { caption, width: result.width, height: result.height, ...reply }) });
    attempts.push({ what: 'sendDocument', send: () => telegram.sendDocument(target.chatId, source, { caption, ...reply }) });
    for (const [i, attempt] of attempts.entries()) {
      const outcome = await this.out.try(attempt.what, attempt.send);
      if (outcome.ok) {
        // The note itself has no caption: its timings follow it.
        if (kind === 'video_note' && i === 0) await this.out.reply(target.chatId, target.photoMessageId, caption);
        return true;
      }
      if (outcome.code === 403) return false;
    }
    await this.sendError(target.chatId, target.photoMessageId, lang, new ToonError('DELIVERY_FAILED', { detail: { bytes: result.image.length, width: result.width, height: result.height } }));
    return false;
  }

  /**
   * Up to 10 results as one album (one result as a single reply). A refused album of photos goes
   * again as files, then each result on its own (each with its own fallbacks and error text).
   */
  async album(done: Done[], lang: Lang): Promise<void> {
    const [one] = done;
    if (!one) return;
    // An album with videos in it: each clip is answered in kind, on its own.
    if (done.some((d) => d.result.clip)) {
      for (const d of done) await this.one(d.target, d.result, resultCaption(lang, [d.result], d.totalMs), lang);
      return;
    }
    const caption = resultCaption(
      lang,
      done.map((d) => d.result),
      done.reduce((s, d) => s + d.totalMs, 0),
    );
    if (done.length === 1) return void (await this.one(one.target, one.result, caption, lang));
    const asPhotos = one.target.media.kind === 'photo' && done.every((d) => d.result.image.length <= this.limits.maxPhotoBytes);
    const media = (photos: boolean) =>
      done.map((d, i) => {
        const item = { media: { source: d.result.image, filename: resultName(d.target.media, d.result) }, ...(i === 0 ? { caption } : {}) };
        return photos ? ({ type: 'photo', ...item } satisfies InputMediaPhoto) : ({ type: 'document', ...item } satisfies InputMediaDocument);
      });
    const send = (items: (InputMediaPhoto | InputMediaDocument)[]) =>
      this.out.try('sendMediaGroup', () => this.out.telegram.sendMediaGroup(one.target.chatId, items as InputMediaPhoto[], { reply_parameters: multipartReply(one.target.photoMessageId) }));
    let outcome = await send(media(asPhotos));
    if (!outcome.ok && outcome.code !== 403 && asPhotos) outcome = await send(media(false));
    if (outcome.ok || outcome.code === 403) return;
    for (const d of done) await this.one(d.target, d.result, resultCaption(lang, [d.result], d.totalMs), lang);
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

/**
 * `holiday.jpg` -> `holiday.toon.png`; photos are `cartoon.<ext>`. The user's file name goes into
 * an upload header: quotes, backslashes, path separators and control characters are replaced,
 * and it is cut to 64 characters.
 */
function resultName(media: Media, result: Pick<CartoonResult, 'format' | 'model'>): string {
  const ext = extensionOf(result.format);
  if (media.kind === 'photo') return `cartoon.${ext}`;
  const base = media.fileName
    .replace(/\.[^.]*$/, '')
    // eslint-disable-next-line no-control-regex -- control characters are what is removed here
    .replace(/[\u0000-\u001f\u007f"'\\/:*?<>|;]+/g, '_')
    .trim()
    .slice(0, 64);
  return `${base || 'image'}.${result.model}.${ext}`;
}
