/**
 * /settings: a chat's default strength, resolution, style and format, as a message with a row of
 * buttons per option; a press saves the choice and redraws the menu. In groups only the group's
 * admins may change them (asked of Telegram, remembered for a minute); a press must carry a value
 * the buttons offer.
 */
import type { CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup } from 'telegraf/types';
import { isToonError, type CartoonOptions, type Engine } from '../../engine/index.ts';
import { ToonError } from '../shared/errors.ts';
import { errorText, pickLang, texts, type Lang } from '../../i18n/index.ts';
import { textContext } from '../shared/captions.ts';
import type { ChatSettings, SettingsStore } from '../shared/SettingsStore.ts';
import { routeCallback, SETTING_KEYS, type SettingKey } from './route.ts';
import type { Outbox } from './send.ts';

/** How long an answer of getChatMember is trusted. */
const ADMIN_CACHE_MS = 60_000;
const ADMIN_CACHE_MAX = 5000;

const CHOICES = {
  strength: [0.3, 0.5, 0.7, 1.0],
  resolution: [512, 1024, 2048],
  format: ['png', 'jpeg', 'webp'],
} as const;

/** Choices on the first row of a setting, after its label; further rows take one more. */
const ROW_CHOICES = 4;

export class SettingsMenu {
  readonly #admins = new Map<string, { admin: boolean; until: number }>();

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
    const refuse = (error: ToonError) => answer(errorText(lang, error, textContext(this.engine, 'telegram')));
    let patch: ChatSettings;
    try {
      const value = this.engine.parseOptions({ [choice.key]: choice.value })[choice.key];
      // Only what the buttons offer: a forged payload with another (valid) value is refused.
      if (!this.#offered(choice.key).some((v) => v === value)) throw new ToonError('INVALID_OPTION', { detail: { option: choice.key, forged: choice.value } });
      patch = { [choice.key]: value };
    } catch (error) {
      return void (await answer(isToonError(error) ? errorText(lang, error, textContext(this.engine, 'telegram')) : undefined));
    }
    if (message.chat.type !== 'private' && !(await this.#isAdmin(message.chat.id, query.from.id))) {
      return void (await refuse(new ToonError('NOT_ALLOWED', { detail: { chat: message.chat.id, user: query.from.id } })));
    }
    if (!(await this.store.set(message.chat.id, patch))) return void (await answer(texts(lang).notSaved));
    await answer(texts(lang).saved);
    await this.show(message.chat.id, lang, message.message_id);
  }

  #keyboard(lang: Lang, current: CartoonOptions): InlineKeyboardMarkup {
    const labels = texts(lang).settingsLabels;
    // A label, then the choices; a long list (the styles) goes on in rows of its own, so that the
    // buttons stay wide enough to read on a phone.
    const rows = (key: SettingKey): InlineKeyboardButton[][] => {
      const buttons = this.#offered(key).map((v) => ({ text: `${v === current[key] ? '✓ ' : ''}${v}`, callback_data: `set:${key}:${v}` }));
      const out: InlineKeyboardButton[][] = [[{ text: `${labels[key]}:`, callback_data: 'noop' }, ...buttons.splice(0, ROW_CHOICES)]];
      while (buttons.length > 0) out.push(buttons.splice(0, ROW_CHOICES + 1));
      return out;
    };
    return { inline_keyboard: SETTING_KEYS.flatMap(rows) };
  }

  #offered(key: SettingKey): readonly (string | number)[] {
    return key === 'style' ? this.#styles() : CHOICES[key];
  }

  /** Whether the user administers the group: asked of Telegram, remembered for a minute. */
  async #isAdmin(chatId: number, userId: number): Promise<boolean> {
    const key = `${chatId}:${userId}`;
    const known = this.#admins.get(key);
    if (known && known.until > Date.now()) return known.admin;
    const member = await this.out.call('getChatMember', () => this.out.telegram.getChatMember(chatId, userId));
    // Unknown (the call failed) is no.
    const admin = member?.status === 'creator' || member?.status === 'administrator';
    if (member) {
      if (this.#admins.size >= ADMIN_CACHE_MAX) this.#admins.clear();
      this.#admins.set(key, { admin, until: Date.now() + ADMIN_CACHE_MS });
    }
    return admin;
  }

  #styles(): string[] {
    return this.engine.styles().map((s) => s.id);
  }
}
