/**
 * Telegram adapter (telegraf): photo in, cartoon out, in private chats, groups and albums.
 */
import type { Engine, Logger } from '../../engine/index.ts';
import { redactingLogger } from '../shared/redact.ts';
import type { RunningBot } from '../shared/RunningBot.ts';
import type { TelegramOptions } from './options.ts';
import { TelegramBot } from './TelegramBot.ts';
import type { Community } from '../shared/community.ts';

export { TelegramBot } from './TelegramBot.ts';
export { TELEGRAM_DEFAULTS, type TelegramOptions } from './options.ts';

export async function startTelegram(engine: Engine, options: TelegramOptions, logger: Logger, community?: Community): Promise<RunningBot> {
  return TelegramBot.start(engine, options, redactingLogger(logger, [options.token]), community);
}
