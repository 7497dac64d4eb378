/**
 * /settings: a chat's default strength, resolution, style and format, as a message with a row of
 * buttons per option; a press saves the choice and redraws the menu.
 */
import type { CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup } from 'telegraf/types';
import { isToonError, type CartoonOptions, type Engine } from '../../engine/index.ts';
import { errorText, pickLang, texts, type Lang } from '../../i18n/index.ts';
import { textContext } from '../shared/captions.ts';
import type { ChatSettings, SettingsStore } from '../shared/SettingsStore.ts';
import { routeCallback, SETTING_KEYS } from './route.ts';
import type { Outbox } from './send.ts';

const CHOICES = {
  strength: [0.3, 0.5, 0.7, 1.0],
  resolution: [512, 1024, 2048],
  format: ['png', 'jpeg', 'webp'],
} as const;

export class SettingsMenu {
  constructor(
    private readonly engine: Engine,
    private readonly store: SettingsStore,
    private readonly out: Outbox,
  ) {}

  /** The chat's saved defaults, less a style no longer offered (the engine's default applies). */
  defaults(chatId: number): ChatSettings {
    const { style, ...rest } = this.store.get(chatId);
    return style !== undefined && this.#styles().includes(style) ? { ...rest, style } : rest;
  }

  /** Sends the menu, or redraws it in place. */
  async show(chatId: number, lang: Lang, editMessageId?: number): Promise<void> {
    const current = this.engine.parseOptions(this.defaults(chatId));
    const text = texts(lang).settingsTitle(current);
    const reply_markup = this.#keyboard(lang, current);
    const { telegram } = this.out;
    if (editMessageId === undefined) await this.out.call('sendMessage', () => telegram.sendMessage(chatId, text, { reply_markup }));
    else await this.out.call('editMessageText', () => telegram.editMessageText(chatId, editMessageId, undefined, text, { reply_markup }));
  }

  /** A button press: saves the choice, confirms, and redraws. */
  async press(query: CallbackQuery): Promise<void> {
    const lang = pickLang(query.from.language_code);
    const answer = (text?: string) => this.out.call('answerCallbackQuery', () => this.out.telegram.answerCbQuery(query.id, text));
    const choice = routeCallback('data' in query ? query.data : undefined);
    const message = query.message;
    if (!choice || !message) return void (await answer());
    let patch: ChatSettings;
    try {
      patch = { [choice.key]: this.engine.parseOptions({ [choice.key]: choice.value })[choice.key] };
    } catch (error) {
      return void (await answer(isToonError(error) ? errorText(lang, error, textContext(this.engine, 'telegram')) : undefined));
    }
    await this.store.set(message.chat.id, patch);
    await answer(texts(lang).saved);
    await this.show(message.chat.id, lang, message.message_id);
  }

  #keyboard(lang: Lang, current: CartoonOptions): InlineKeyboardMarkup {
    const labels = texts(lang).settingsLabels;
    const values = { ...CHOICES, style: this.#styles() };
    const row = (key: (typeof SETTING_KEYS)[number]): InlineKeyboardButton[] => [
      { text: `${labels[key]}:`, callback_data: 'noop' },
      ...values[key].map((v) => ({ text: `${v === current[key] ? '✓ ' : ''}${v}`, callback_data: `set:${key}:${v}` })),
    ];
    return { inline_keyboard: SETTING_KEYS.map(row) };
  }

  #styles(): string[] {
    return this.engine.styles().map((s) => s.id);
  }
}
