/**
 * Discord adapter (discord.js). Not built yet: see the issue "Discord bot: /cartoon with options".
 */
import type { Engine, Logger } from '../../engine/index.ts';
import type { AppConfig } from '../../config.ts';
import type { RunningBot } from '../shared/RunningBot.ts';

export async function startDiscord(_engine: Engine, _config: NonNullable<AppConfig['discord']>, _logger: Logger): Promise<RunningBot> {
  throw new Error('The Discord adapter is not part of this build yet; unset DISCORD_TOKEN or use the CLI (npx toonbot).');
}
