/**
 * Telegram adapter (telegraf). Not built yet: see the issue "Telegram bot: photo in, cartoon out".
 */
import type { Engine, Logger } from '../../engine/index.ts';
import type { AppConfig } from '../../config.ts';
import type { RunningBot } from '../shared/RunningBot.ts';

export async function startTelegram(_engine: Engine, _config: NonNullable<AppConfig['telegram']>, _logger: Logger): Promise<RunningBot> {
  throw new Error('The Telegram adapter is not part of this build yet; unset TELEGRAM_BOT_TOKEN or use the CLI (npx toonbot).');
}
