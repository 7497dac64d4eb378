/** Updates shaped like the ones Telegram sends (Bot API 7.x), for the fake server to hand out. */
import { BOT } from './FakeBotApi.ts';

let nextMessage = 100;
const now = () => Math.floor(Date.now() / 1000);

export interface Person {
  id: number;
  first_name: string;
  language_code?: string;
}

export const alice: Person = { id: 1001, first_name: 'Alice', language_code: 'en' };
export const bob: Person = { id: 1002, first_name: 'Bob', language_code: 'en' };
export const li: Person = { id: 1003, first_name: '李', language_code: 'zh-hans' };

export const privateChat = (p: Person) => ({ id: p.id, type: 'private', first_name: p.first_name });
export const group = { id: -1001234567890, type: 'supergroup', title: 'Friends' };

type Chat = ReturnType<typeof privateChat> | typeof group;

function commandEntities(text: string | undefined) {
  const m = text ? /^\/\S+/.exec(text) : null;
  return m ? [{ type: 'bot_command', offset: 0, length: m[0].length }] : undefined;
}

function base(chat: Chat, from: Person) {
  return { message_id: nextMessage++, date: now(), chat, from: { is_bot: false, ...from } };
}

/** A compressed photo: Telegram sends several sizes, smallest first, each its own file. */
export function photoMessage(chat: Chat, from: Person, fileIds: { small: string; large: string }, extra: { caption?: string; media_group_id?: string } = {}) {
  const entities = commandEntities(extra.caption);
  return {
    ...base(chat, from),
    photo: [
      { file_id: fileIds.small, file_unique_id: `u${fileIds.small}`, width: 90, height: 60, file_size: 1200 },
      { file_id: fileIds.large, file_unique_id: `u${fileIds.large}`, width: 600, height: 400, file_size: 45_000 },
    ],
    ...(extra.caption ? { caption: extra.caption } : {}),
    ...(entities ? { caption_entities: entities } : {}),
    ...(extra.media_group_id ? { media_group_id: extra.media_group_id } : {}),
  };
}

export function documentMessage(chat: Chat, from: Person, doc: { file_id: string; file_name: string; mime_type: string; file_size: number }, caption?: string) {
  return { ...base(chat, from), document: { file_unique_id: `u${doc.file_id}`, ...doc }, ...(caption ? { caption } : {}) };
}

/**
 * A GIF as Telegram delivers it: an H.264 MP4 `animation`, with the same file as `document` too
 * (for clients that do not know animations).
 */
export function animationMessage(chat: Chat, from: Person, clip: { file_id: string; file_size: number; width: number; height: number; duration: number }, caption?: string) {
  const file = { file_unique_id: `u${clip.file_id}`, file_name: 'clip.gif.mp4', mime_type: 'video/mp4', ...clip };
  const entities = commandEntities(caption);
  return {
    ...base(chat, from),
    animation: file,
    document: { file_id: clip.file_id, file_unique_id: file.file_unique_id, file_name: file.file_name, mime_type: file.mime_type, file_size: clip.file_size },
    ...(caption ? { caption } : {}),
    ...(entities ? { caption_entities: entities } : {}),
  };
}

/** A round video note: a square MP4 (`length` its side), never with a caption. */
export function videoNoteMessage(chat: Chat, from: Person, note: { file_id: string; file_size: number; length: number; duration: number }) {
  return { ...base(chat, from), video_note: { file_unique_id: `u${note.file_id}`, ...note } };
}

export function textMessage(chat: Chat, from: Person, text: string, replyTo?: Record<string, unknown>) {
  const entities = commandEntities(text);
  return { ...base(chat, from), text, ...(entities ? { entities } : {}), ...(replyTo ? { reply_to_message: replyTo } : {}) };
}

export function callbackQuery(from: Person, message: Record<string, unknown>, data: string) {
  return { id: `cb${nextMessage++}`, from: { is_bot: false, ...from }, chat_instance: 'ci1', message, data };
}

export { BOT };
