/**
 * Telegram adapter (telegraf): photo in, cartoon out, in private chats, groups and albums.
 */
import type { AppConfig } from '../../config.ts';
import type { Engine, Logger } from '../../engine/index.ts';
import { redactingLogger } from '../shared/redact.ts';
import type { RunningBot } from '../shared/RunningBot.ts';
import { TelegramBot } from './TelegramBot.ts';

export { TelegramBot } from './TelegramBot.ts';
export { TELEGRAM_DEFAULTS, type TelegramOptions } from './options.ts';

export async function startTelegram(engine: Engine, config: NonNullable<AppConfig['telegram']>, logger: Logger): Promise<RunningBot> {
  return TelegramBot.start(engine, config, redactingLogger(logger, [config.token]));
}
