/**
 * Puts the application commands with one bulk overwrite (PUT): idempotent, so running it again
 * changes nothing. Targets one guild when a guild id is given (instant, for testing), otherwise
 * registers globally. Never run on every start: Discord allows 200 command creates a day per guild.
 */
import { REST, Routes } from 'discord.js';
import type { StyleInfo } from '../../engine/index.ts';
import { commandDefinitions } from './commands.ts';

interface RegisterOptions {
  token: string;
  applicationId: string;
  guildId?: string;
  apiRoot?: string;
}

export async function registerCommands(opts: RegisterOptions, styles: readonly StyleInfo[]): Promise<{ scope: string; count: number }> {
  const rest = new REST(opts.apiRoot ? { api: opts.apiRoot } : {}).setToken(opts.token);
  const body = commandDefinitions(styles);
  const route = opts.guildId ? Routes.applicationGuildCommands(opts.applicationId, opts.guildId) : Routes.applicationCommands(opts.applicationId);
  const result = (await rest.put(route, { body })) as unknown[];
  return { scope: opts.guildId ? `guild ${opts.guildId}` : 'global', count: result.length };
}
