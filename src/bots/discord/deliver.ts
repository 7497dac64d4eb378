/**
 * The finished reply: the cartoons as attachments (made to fit the interaction's upload limit), an
 * embed with the options and the caption, and the result buttons.
 */
import { AttachmentBuilder, EmbedBuilder, type Message } from 'discord.js';
import type { JobInteraction } from './CartoonJobs.ts';
import { extensionOf, type CartoonOptions, type CartoonResult } from '../../engine/index.ts';
import { texts, type Lang } from '../../i18n/index.ts';
import { resultCaption } from '../shared/captions.ts';
import { fitSize } from '../shared/fitSize.ts';
import { ResultButtons } from './ResultButtons.ts';

/** Discord's upload limit when the interaction does not say (10 MiB, an unboosted server). */
export const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** Edits the deferred reply into the result; `totalMs` is counted from the user's click. */
export async function deliver(interaction: JobInteraction, lang: Lang, results: readonly CartoonResult[], options: CartoonOptions, totalMs: number): Promise<Message> {
  const t = texts(lang);
  // The limit is shared by the files of one message.
  const limit = Math.floor((interaction.attachmentSizeLimit ?? DEFAULT_UPLOAD_LIMIT) / results.length);
  const files: AttachmentBuilder[] = [];
  let resized = false;
  for (const [i, result] of results.entries()) {
    const fitted = await fitSize(result.image, result.format, result.width, result.height, limit);
    resized ||= fitted.changed;
    files.push(new AttachmentBuilder(fitted.image, { name: `cartoon${results.length > 1 ? `-${i + 1}` : ''}.${extensionOf(fitted.format)}` }));
  }
  const first = results[0] as CartoonResult;
  const embed = new EmbedBuilder()
    .setColor(0xf28c28)
    .addFields(
      { name: t.settingsLabels.strength, value: String(options.strength), inline: true },
      { name: t.settingsLabels.resolution, value: `${first.width}x${first.height}`, inline: true },
      { name: t.settingsLabels.style, value: options.style, inline: true },
    )
    .setFooter({ text: resultCaption(lang, results, totalMs, { resized }) });
  // A video plays from its attachment above the embed; an embed shows only images (a GIF animates).
  if (first.format !== 'mp4') embed.setImage(`attachment://${files[0]?.name}`);
  return interaction.editReply({ content: '', embeds: [embed], files, components: [ResultButtons.row(lang, options.strength)] });
}
