/**
 * The Discord side of running the bot for a community: the owners' `/toonbot block|unblock|allow|
 * disallow|stats` (hidden from members by default permissions, refused to non-owners anyway),
 * everyone's `/queue`, and the Cancel button on a waiting photo's reply. Answers are ephemeral.
 */
import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { toToonError, type Engine, type Logger } from '../../engine/index.ts';
import { errorText, pickLang, texts } from '../../i18n/index.ts';
import { textContext } from '../shared/captions.ts';
import type { Community } from '../shared/community.ts';
import { ownerAction, type OwnerAction } from '../shared/ownerAction.ts';
import { CANCEL_PREFIX } from './CartoonJobs.ts';

export class OwnerCommands {
  constructor(
    private readonly engine: Engine,
    private readonly community: Community,
    private readonly log: Logger,
  ) {}

  /** `/toonbot <subcommand>`: owners only. */
  async run(interaction: ChatInputCommandInteraction): Promise<void> {
    const lang = pickLang(interaction.locale);
    const by = `discord:${interaction.user.id}`;
    const answer = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral });
    try {
      const action = interaction.options.getSubcommand() as OwnerAction;
      const user = interaction.options.getUser('user');
      const server = interaction.options.getString('server');
      const channel = interaction.options.getChannel('channel');
      const subject = user ? `discord:${user.id}` : channel ? `discord:channel:${channel.id}` : server ? `discord:guild:${server}` : undefined;
      await answer(await ownerAction(this.community, this.log, by, action, subject, lang));
    } catch (error) {
      await answer(errorText(lang, toToonError(error), textContext(this.engine, 'discord')));
    }
  }

  /** `/queue`: where the user's photos are. */
  async queue(interaction: ChatInputCommandInteraction): Promise<void> {
    const positions = this.community.cancels.of(`discord:${interaction.user.id}`);
    await interaction.reply({ content: texts(pickLang(interaction.locale)).ops.queue(positions), flags: MessageFlags.Ephemeral });
  }

  static handles(customId: string): boolean {
    return customId.startsWith(CANCEL_PREFIX);
  }

  /** A Cancel button: the photo's sender (or an owner) takes it out of the line; the reply says "Cancelled". */
  async cancel(interaction: ButtonInteraction): Promise<void> {
    const t = texts(pickLang(interaction.locale)).ops;
    const presser = `discord:${interaction.user.id}`;
    const outcome = this.community.cancels.press(interaction.customId.slice(CANCEL_PREFIX.length), presser, this.community.access.isOwner(presser));
    this.log.info('cancel button pressed', { user: presser, outcome });
    if (outcome === 'cancelled') await interaction.update({ content: t.cancelled, components: [] });
    else await interaction.reply({ content: outcome === 'not-yours' ? t.notYourJob : t.cancelGone, flags: MessageFlags.Ephemeral });
  }
}
