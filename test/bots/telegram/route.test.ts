import type { Message } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { route, routeAlbum, routeCallback, type Intent } from '../../../src/bots/telegram/route.ts';
import { alice, BOT, documentMessage, group, photoMessage, privateChat, textMessage } from '../../../dev/standins/telegram/updates.ts';

const context = { username: BOT.username, styles: ['toon', 'toon-portrait'] };
const asMessage = (m: unknown) => m as Message;
const kindOf = (m: unknown): Intent['kind'] => route(asMessage(m), context).kind;
const dm = privateChat(alice);
const photo = (chat: typeof dm | typeof group, caption?: string) => photoMessage(chat, alice, { small: 's', large: 'l' }, caption ? { caption } : {});

describe('route: what a Telegram message asks of the bot', () => {
  it('takes any photo or image file in a private chat, with the largest size of a photo', () => {
    const intent = route(asMessage(photo(dm)), context);
    expect(intent).toMatchObject({ kind: 'photo', media: { fileId: 'l', kind: 'photo' } });
    const file = route(asMessage(documentMessage(dm, alice, { file_id: 'd1', file_name: 'me.png', mime_type: 'image/png', file_size: 10 })), context);
    expect(file).toMatchObject({ kind: 'photo', media: { fileId: 'd1', kind: 'document', fileName: 'me.png', mimeType: 'image/png' } });
  });

  it('in a group, takes a photo only when addressed: /cartoon in the caption or a mention', () => {
    expect(kindOf(photo(group))).toBe('ignore');
    expect(kindOf(photo(group, 'look at my cat'))).toBe('ignore');
    expect(kindOf(photo(group, '/cartoon 0.8'))).toBe('photo');
    expect(kindOf(photo(group, `@${BOT.username} please`))).toBe('photo');
    expect(kindOf(photo(group, '/cartoon@some_other_bot'))).toBe('ignore');
  });

  it('carries the caption options, and the asker is the photo message itself', () => {
    const message = photo(dm, '/cartoon 0.8 1024 webp toon-portrait');
    const intent = route(asMessage(message), context);
    if (intent.kind !== 'photo') throw new Error(`expected a photo, got ${intent.kind}`);
    expect(intent.text.options).toEqual({ strength: '0.8', resolution: '1024', format: 'webp', style: 'toon-portrait' });
    expect(intent.asker).toBe(intent.photo);
  });

  it('takes /cartoon replying to a photo: the photo is the reply target, the asker the command', () => {
    const original = photo(group);
    const command = textMessage(group, alice, '/cartoon 0.5', original);
    const intent = route(asMessage(command), context);
    if (intent.kind !== 'photo') throw new Error(`expected a photo, got ${intent.kind}`);
    expect(intent.photo.message_id).toBe(original.message_id);
    expect(intent.asker.message_id).toBe(command.message_id);
    // Free text replying to a photo in a group is chatter, not a request.
    expect(kindOf(textMessage(group, alice, 'nice one', original))).toBe('ignore');
    // In a private chat, explicit options replying to a photo are a request; free text is not.
    expect(kindOf(textMessage(dm, alice, 'strength=0.3', photo(dm)))).toBe('photo');
  });

  it('answers commands: help, settings, and /cartoon without a photo', () => {
    expect(kindOf(textMessage(dm, alice, '/start'))).toBe('help');
    expect(kindOf(textMessage(group, alice, `/help@${BOT.username}`))).toBe('help');
    expect(kindOf(textMessage(group, alice, '/settings'))).toBe('settings');
    expect(kindOf(textMessage(group, alice, '/cartoon'))).toBe('need-photo');
    expect(kindOf(textMessage(dm, alice, 'hello'))).toBe('help');
    expect(kindOf(textMessage(group, alice, 'hello'))).toBe('ignore');
    expect(kindOf(textMessage(dm, alice, '/unknown'))).toBe('ignore');
  });

  it('hands album items to the collector, in any chat', () => {
    const item = photoMessage(group, alice, { small: 's', large: 'l' }, { media_group_id: 'g1' });
    expect(kindOf(item)).toBe('album-item');
  });
});

describe('routeAlbum', () => {
  const items = (chat: typeof dm | typeof group, caption?: string) =>
    [
      photoMessage(chat, alice, { small: 'a', large: 'A' }, { media_group_id: 'g' }),
      photoMessage(chat, alice, { small: 'b', large: 'B' }, { media_group_id: 'g', ...(caption ? { caption } : {}) }),
    ].map(asMessage);

  it('reads the caption from whichever item carries it, and keeps every photo', () => {
    const list = items(group, '/cartoon 0.4');
    const album = routeAlbum(list, context);
    expect(album?.text.options).toEqual({ strength: '0.4' });
    expect(album?.asker).toBe(list[1]);
    expect(album?.photos.map((p) => p.media.fileId)).toEqual(['A', 'B']);
  });

  it('takes an uncaptioned album in a private chat, and ignores one in a group', () => {
    expect(routeAlbum(items(dm), context)?.photos).toHaveLength(2);
    expect(routeAlbum(items(group), context)).toBeNull();
    expect(routeAlbum([], context)).toBeNull();
  });
});

describe('routeCallback', () => {
  it('reads the settings buttons and nothing else', () => {
    expect(routeCallback('set:strength:0.5')).toEqual({ key: 'strength', value: '0.5' });
    expect(routeCallback('set:style:toon-portrait')).toEqual({ key: 'style', value: 'toon-portrait' });
    expect(routeCallback('noop')).toBeNull();
    expect(routeCallback('set:owner:me')).toBeNull();
    expect(routeCallback(undefined)).toBeNull();
  });
});
