/**
 * The Discord application commands: `/cartoon` with its options, and the "Cartoonize" message
 * context menu. English names with Simplified Chinese localizations.
 */
import { ApplicationCommandType, ContextMenuCommandBuilder, SlashCommandBuilder, type RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { DEFAULT_OPTIONS, OPTION_LIMITS, OUTPUT_FORMATS, type StyleInfo } from '../../engine/index.ts';

export const CARTOON_COMMAND = 'cartoon';
export const CONTEXT_COMMAND = 'Cartoonize';
export const OWNER_COMMAND = 'toonbot';
export const QUEUE_COMMAND = 'queue';
const RESOLUTIONS = [512, 768, 1024, 1536, 2048] as const;
/** Discord's own floor for the strength option: 0 would return the photo unchanged. */
export const MIN_STRENGTH = 0.1;

export function commandDefinitions(styles: readonly StyleInfo[]): RESTPostAPIApplicationCommandsJSONBody[] {
  const cartoon = new SlashCommandBuilder()
    .setName(CARTOON_COMMAND)
    .setNameLocalizations({ 'zh-CN': '卡通化' })
    .setDescription('Turn a photo into a cartoon')
    .setDescriptionLocalizations({ 'zh-CN': '把照片变成卡通' })
    .addAttachmentOption((o) =>
      o.setName('image').setNameLocalizations({ 'zh-CN': '图片' }).setDescription('A photo, GIF or short video').setDescriptionLocalizations({ 'zh-CN': '照片、GIF 或短视频' }).setRequired(true),
    )
    .addNumberOption((o) =>
      o
        .setName('strength')
        .setNameLocalizations({ 'zh-CN': '强度' })
        .setDescription(`From a touch (${MIN_STRENGTH}) to the full cartoon (1.0); default ${DEFAULT_OPTIONS.strength}`)
        .setDescriptionLocalizations({ 'zh-CN': `从轻微（${MIN_STRENGTH}）到完全卡通（1.0），默认 ${DEFAULT_OPTIONS.strength}` })
        .setMinValue(MIN_STRENGTH)
        .setMaxValue(OPTION_LIMITS.strength.max),
    )
    .addIntegerOption((o) =>
      o
        .setName('resolution')
        .setNameLocalizations({ 'zh-CN': '分辨率' })
        .setDescription(`Long side of the result in pixels; default ${DEFAULT_OPTIONS.resolution}`)
        .setDescriptionLocalizations({ 'zh-CN': `结果长边的像素数，默认 ${DEFAULT_OPTIONS.resolution}` })
        .addChoices(...RESOLUTIONS.map((r) => ({ name: `${r} px`, value: r }))),
    )
    .addStringOption((o) =>
      o
        .setName('style')
        .setNameLocalizations({ 'zh-CN': '风格' })
        .setDescription('Cartoon style')
        .setDescriptionLocalizations({ 'zh-CN': '卡通风格' })
        .addChoices(...styles.slice(0, 25).map((s) => ({ name: s.name, value: s.id }))),
    )
    .addStringOption((o) =>
      o
        .setName('format')
        .setNameLocalizations({ 'zh-CN': '格式' })
        .setDescription(`File format; default ${DEFAULT_OPTIONS.format}`)
        .setDescriptionLocalizations({ 'zh-CN': '文件格式，默认 png' })
        .addChoices(...OUTPUT_FORMATS.map((f) => ({ name: f, value: f }))),
    )
    .addBooleanOption((o) => o.setName('private').setNameLocalizations({ 'zh-CN': '私密' }).setDescription('Only you see the result').setDescriptionLocalizations({ 'zh-CN': '只有你能看到结果' }));
  const menu = new ContextMenuCommandBuilder().setName(CONTEXT_COMMAND).setNameLocalizations({ 'zh-CN': '卡通化' }).setType(ApplicationCommandType.Message);
  const queue = new SlashCommandBuilder()
    .setName(QUEUE_COMMAND)
    .setNameLocalizations({ 'zh-CN': '队列' })
    .setDescription('Where your photos are in line')
    .setDescriptionLocalizations({ 'zh-CN': '你的照片排在第几位' });
  // Owners' controls: hidden from members (no default permissions: admins see it and may grant
  // it); the bot refuses anyone who is not in TOONBOT_OWNERS anyway.
  const owner = new SlashCommandBuilder()
    .setName(OWNER_COMMAND)
    .setDescription('Bot owners: block, allow and statistics')
    .setDefaultMemberPermissions(0)
    .addSubcommand((c) => c.setName('stats').setDescription('Photos done, refused and failed; times; the line; where the models run'));
  for (const [name, description] of [
    ['block', 'Stop serving a user or a server'],
    ['unblock', 'Serve a blocked user or server again'],
    ['allow', 'Add a user or server to the allow list (with one, only those listed are served)'],
    ['disallow', 'Take a user or server off the allow list'],
  ] as const) {
    owner.addSubcommand((c) =>
      c
        .setName(name)
        .setDescription(description)
        .addUserOption((o) => o.setName('user').setDescription('The user'))
        .addStringOption((o) => o.setName('server').setDescription('A server id').setMinLength(5).setMaxLength(20))
        .addChannelOption((o) => o.setName('channel').setDescription('A channel of this server')),
    );
  }
  return [cartoon.toJSON(), menu.toJSON(), queue.toJSON(), owner.toJSON()];
}
