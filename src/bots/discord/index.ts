/**
 * Discord adapter (discord.js): `/cartoon`, the "Cartoonize" context menu, result buttons.
 */
import type { Engine, Logger } from '../../engine/index.ts';
import { redactingLogger } from '../shared/redact.ts';
import type { RunningBot } from '../shared/RunningBot.ts';
import { DiscordBot } from './DiscordBot.ts';
import type { DiscordOptions } from './options.ts';
import type { Community } from '../shared/community.ts';

export { DiscordBot } from './DiscordBot.ts';
export { DISCORD_DEFAULTS, type DiscordOptions } from './options.ts';
export { commandDefinitions } from './commands.ts';
export { registerCommands } from './register.ts';

export async function startDiscord(engine: Engine, options: DiscordOptions, logger: Logger, community?: Community): Promise<RunningBot> {
  return DiscordBot.start(engine, options, redactingLogger(logger, [options.token]), community);
}
