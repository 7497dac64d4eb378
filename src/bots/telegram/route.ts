/**
 * What an incoming Telegram message or button press asks of the bot, decided without side effects
 * (no network, no state): the adapter acts on the intent.
 *
 * - In private chats any photo is for us; in groups only a photo addressed to us (/cartoon in its
 *   caption, or an @mention), or /cartoon (or a mention) replying to a photo.
 * - Albums arrive as separate messages and are collected first; `routeAlbum` decides on the whole.
 * - Anything else in a group is not for us (privacy mode shows us little else anyway).
 */
import type { Message } from 'telegraf/types';
import { parseText, type ParsedText } from '../shared/textOptions.ts';
import { mediaOf, textOf, type Media } from './media.ts';
import { OWNER_ACTIONS, type OwnerAction } from '../shared/ownerAction.ts';

export interface RouteContext {
  /** The bot's username, for /command@bot and @mentions. */
  username: string;
  /** Style ids on offer, so a bare style name in a caption is understood. */
  styles: readonly string[];
}

/** One photo to cartoonise: where it is, and who asked with which words. */
export interface PhotoRequest {
  /** The message that holds the photo (results reply to it). */
  photo: Message;
  media: Media;
  /** The message that asked: the photo itself, or a /cartoon replying to it. */
  asker: Message;
  text: ParsedText;
}

export type Intent =
  | { kind: 'ignore' }
  | { kind: 'help'; message: Message }
  | { kind: 'settings'; message: Message }
  | { kind: 'need-photo'; message: Message }
  | { kind: 'album-item'; message: Message & { media_group_id: string } }
  | { kind: 'queue'; message: Message }
  /** An owner's command: the list change's subject is the replied-to message's sender, or `arg`. */
  | { kind: 'owner'; action: OwnerAction; message: Message; arg?: string; replyTo?: Message }
  | ({ kind: 'photo' } & PhotoRequest);

export function route(message: Message, context: RouteContext): Intent {
  const text = parseText(textOf(message), context.username, context.styles);
  if (text.otherBot) return { kind: 'ignore' };
  if (text.command === 'start' || text.command === 'help') return { kind: 'help', message };
  if (text.command === 'settings') return { kind: 'settings', message };
  if (text.command === 'queue') return { kind: 'queue', message };
  if ((OWNER_ACTIONS as readonly string[]).includes(text.command ?? '')) {
    const arg = textOf(message)?.trim().split(/\s+/)[1];
    const reply = 'reply_to_message' in message ? (message.reply_to_message as Message | undefined) : undefined;
    return { kind: 'owner', action: text.command as OwnerAction, message, ...(arg ? { arg } : {}), ...(reply ? { replyTo: reply } : {}) };
  }

  const isPrivate = message.chat.type === 'private';
  const media = mediaOf(message);
  const addressed = text.command === 'cartoon' || text.mentioned;
  if (media && 'media_group_id' in message && message.media_group_id) return { kind: 'album-item', message: message as Message & { media_group_id: string } };
  if (media && (isPrivate || addressed)) return { kind: 'photo', photo: message, media, asker: message, text };

  const reply = 'reply_to_message' in message ? (message.reply_to_message as Message | undefined) : undefined;
  const replyMedia = mediaOf(reply);
  if (!media && reply && replyMedia && (addressed || (isPrivate && text.explicit))) return { kind: 'photo', photo: reply, media: replyMedia, asker: message, text };
  if (text.command === 'cartoon') return { kind: 'need-photo', message };
  if (isPrivate && !media && text.command === null) return { kind: 'help', message };
  return { kind: 'ignore' };
}

/**
 * A collected album: the photos to cartoonise, all asked for by the message that carries the
 * caption (not always the first), or null when the album is not for us.
 */
export function routeAlbum(messages: readonly Message[], context: RouteContext): { asker: Message; text: ParsedText; photos: { photo: Message; media: Media }[] } | null {
  const first = messages[0];
  if (!first) return null;
  const captioned = messages.find((m) => textOf(m));
  const text = parseText(captioned ? textOf(captioned) : undefined, context.username, context.styles);
  if (text.otherBot || (first.chat.type !== 'private' && !(text.command === 'cartoon' || text.mentioned))) return null;
  const photos = messages.flatMap((photo) => {
    const media = mediaOf(photo);
    return media ? [{ photo, media }] : [];
  });
  return photos.length > 0 ? { asker: captioned ?? first, text, photos } : null;
}

export const SETTING_KEYS = ['strength', 'resolution', 'style', 'format'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** A settings button's payload, `set:<key>:<value>`; null for anything else ('noop' labels). */
export function routeCallback(data: string | undefined): { key: SettingKey; value: string } | null {
  const match = /^set:(strength|resolution|style|format):(.+)$/.exec(data ?? '');
  return match ? { key: match[1] as SettingKey, value: match[2] as string } : null;
}

/** A Cancel button's payload, `cancel:<token>`: the token, or null. */
export function cancelToken(data: string | undefined): string | null {
  return /^cancel:([A-Za-z0-9_-]{1,32})$/.exec(data ?? '')?.[1] ?? null;
}
