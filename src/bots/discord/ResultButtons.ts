/**
 * The buttons under a result: Stronger and Softer run the same picture again at another strength
 * (for whoever clicks, counted against their cap); Delete is for the requester only. What a rerun
 * needs is kept per message for the token's lifetime, the oldest dropped past `MAX_STATES`.
 */
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type Attachment, type ButtonInteraction } from 'discord.js';
import type { CartoonOptions } from '../../engine/index.ts';
import { pickLang, texts, type Lang } from '../../i18n/index.ts';
import { MIN_STRENGTH } from './commands.ts';

/** What the attachment checks and the download need of an image. */
export type ImageSource = Pick<Attachment, 'url' | 'size' | 'contentType' | 'width' | 'height' | 'name'>;

interface ResultState {
  requesterId: string;
  source: ImageSource;
  options: CartoonOptions;
  ephemeral: boolean;
  expires: number;
}

const PREFIX = 'toon:';
const MAX_STATES = 2000;
/** How much one press moves the strength. */
const STEP = 0.2;

type Rerun = (interaction: ButtonInteraction, lang: Lang, source: ImageSource, options: CartoonOptions, ephemeral: boolean) => Promise<void>;

export class ResultButtons {
  readonly #states = new Map<string, ResultState>();

  constructor(private readonly rerun: Rerun) {}

  static handles(customId: string): boolean {
    return customId.startsWith(PREFIX);
  }

  /** The row under a result at `strength`. */
  static row(lang: Lang, strength: number): ActionRowBuilder<ButtonBuilder> {
    const t = texts(lang);
    return new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder()
        .setCustomId(`${PREFIX}stronger`)
        .setLabel(t.stronger)
        .setStyle(ButtonStyle.Primary)
        .setDisabled(strength >= 1),
      new ButtonBuilder()
        .setCustomId(`${PREFIX}softer`)
        .setLabel(t.softer)
        .setStyle(ButtonStyle.Secondary)
        .setDisabled(strength <= MIN_STRENGTH),
      new ButtonBuilder().setCustomId(`${PREFIX}delete`).setLabel(t.delete).setStyle(ButtonStyle.Danger),
    );
  }

  remember(messageId: string, state: ResultState): void {
    this.#states.set(messageId, state);
    if (this.#states.size > MAX_STATES) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
  }

  async press(interaction: ButtonInteraction): Promise<void> {
    const lang = pickLang(interaction.locale);
    const t = texts(lang);
    const state = this.#states.get(interaction.message.id);
    const action = interaction.customId.slice(PREFIX.length);
    if (!state || state.expires < Date.now()) {
      await interaction.reply({ content: t.buttonsExpired, flags: MessageFlags.Ephemeral });
      return;
    }
    if (action === 'delete') {
      if (interaction.user.id !== state.requesterId) {
        await interaction.reply({ content: t.notYours(state.requesterId), flags: MessageFlags.Ephemeral });
        return;
      }
      await interaction.deferUpdate();
      await interaction.deleteReply();
      this.#states.delete(interaction.message.id);
      return;
    }
    const step = action === 'stronger' ? STEP : -STEP;
    const strength = Math.round(Math.min(1, Math.max(MIN_STRENGTH, state.options.strength + step)) * 10) / 10;
    await interaction.deferReply(state.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    await this.rerun(interaction, lang, state.source, { ...state.options, strength }, state.ephemeral);
  }
}
