/** INTERACTION_CREATE payloads shaped like Discord's (API v10). */
import { APP_ID, BOT_USER } from './FakeDiscord.ts';

export const GUILD_ID = '3300000000000000001';
export const CHANNEL_ID = '2200000000000000001';
const COMMAND_ID = '4400000000000000001';

/** Discord ids encode their creation time: ms since 2015 in the high bits. */
let counter = 0n;
const snowflake = (): string => (((BigInt(Date.now()) - 1420070400000n) << 22n) + (counter += 1n)).toString();

export interface User {
  id: string;
  username: string;
  locale?: string;
}
export const ann: User = { id: '6600000000000000001', username: 'ann' };
export const ben: User = { id: '6600000000000000002', username: 'ben' };
export const wei: User = { id: '6600000000000000003', username: 'wei', locale: 'zh-CN' };

export interface AttachmentSpec {
  url: string;
  filename?: string;
  size: number;
  contentType?: string;
  width?: number;
  height?: number;
}

function attachment(a: AttachmentSpec) {
  return {
    id: snowflake(),
    filename: a.filename ?? 'photo.png',
    size: a.size,
    url: a.url,
    proxy_url: a.url,
    ...(a.contentType ? { content_type: a.contentType } : {}),
    ...(a.width ? { width: a.width, height: a.height } : {}),
  };
}

function base(user: User, type: number, extra: { attachmentSizeLimit?: number } = {}) {
  const token = `tok-${snowflake()}`;
  return {
    id: snowflake(),
    application_id: APP_ID,
    type,
    token,
    version: 1,
    guild_id: GUILD_ID,
    channel_id: CHANNEL_ID,
    channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: 'general', position: 0, permission_overwrites: [], nsfw: false, parent_id: null },
    member: {
      user: { id: user.id, username: user.username, discriminator: '0', global_name: user.username, avatar: null },
      roles: [],
      permissions: '2248473465835073',
      joined_at: '2024-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
    },
    locale: user.locale ?? 'en-US',
    guild_locale: 'en-US',
    app_permissions: '2248473465835073',
    entitlements: [],
    authorizing_integration_owners: { '0': GUILD_ID },
    context: 0,
    attachment_size_limit: extra.attachmentSizeLimit ?? 10 * 1024 * 1024,
  };
}

export type SlashOptions = { strength?: number; resolution?: number; style?: string; format?: string; private?: boolean };

export function slash(user: User, image: AttachmentSpec, opts: SlashOptions = {}, extra: { attachmentSizeLimit?: number } = {}) {
  const a = attachment(image);
  const typed: [string, number, unknown][] = [
    ['strength', 10, opts.strength],
    ['resolution', 4, opts.resolution],
    ['style', 3, opts.style],
    ['format', 3, opts.format],
    ['private', 5, opts.private],
  ];
  return {
    ...base(user, 2, extra),
    data: {
      id: COMMAND_ID,
      name: 'cartoon',
      type: 1,
      options: [{ name: 'image', type: 11, value: a.id }, ...typed.filter(([, , v]) => v !== undefined).map(([name, type, value]) => ({ name, type, value }))],
      resolved: { attachments: { [a.id]: a } },
    },
  };
}

export function contextMenu(user: User, author: User, images: AttachmentSpec[]) {
  const messageId = snowflake();
  return {
    ...base(user, 2),
    data: {
      id: snowflake(),
      name: 'Cartoonize',
      type: 3,
      target_id: messageId,
      resolved: {
        messages: {
          [messageId]: {
            id: messageId,
            type: 0,
            channel_id: CHANNEL_ID,
            author: { id: author.id, username: author.username, discriminator: '0', global_name: author.username, avatar: null },
            content: 'look at this',
            timestamp: new Date().toISOString(),
            edited_timestamp: null,
            tts: false,
            mention_everyone: false,
            mentions: [],
            mention_roles: [],
            attachments: images.map(attachment),
            embeds: [],
            pinned: false,
            flags: 0,
            components: [],
          },
        },
      },
    },
  };
}

/** A click on one of the result message's buttons. */
export function button(user: User, messageId: string, customId: string) {
  return {
    ...base(user, 3),
    data: { custom_id: customId, component_type: 2 },
    message: {
      id: messageId,
      type: 20,
      channel_id: CHANNEL_ID,
      author: BOT_USER,
      content: '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      flags: 0,
      components: [],
      application_id: APP_ID,
      webhook_id: APP_ID,
    },
  };
}

/** Any other slash command: `/queue`, or `/toonbot <sub>` with a user or server option. */
export function command(user: User, name: string, sub?: { name: string; user?: User; server?: string; channel?: string }) {
  const options = sub
    ? [
        {
          name: sub.name,
          type: 1,
          options: [
            ...(sub.user ? [{ name: 'user', type: 6, value: sub.user.id }] : []),
            ...(sub.server ? [{ name: 'server', type: 3, value: sub.server }] : []),
            ...(sub.channel ? [{ name: 'channel', type: 7, value: sub.channel }] : []),
          ],
        },
      ]
    : [];
  const resolved = sub?.user
    ? { users: { [sub.user.id]: { id: sub.user.id, username: sub.user.username, discriminator: '0', global_name: sub.user.username, avatar: null } } }
    : sub?.channel
      ? { channels: { [sub.channel]: { id: sub.channel, type: 0, name: 'general', permissions: '0' } } }
      : undefined;
  return { ...base(user, 2), data: { id: COMMAND_ID, name, type: 1, options, ...(resolved ? { resolved } : {}) } };
}
