/** Settings of the Discord adapter (kept apart so that config.ts need not load discord.js). */
export interface DiscordOptions {
  token: string;
  applicationId: string;
  guildId?: string;
  /** Another REST base, e.g. `http://127.0.0.1:8080/api` (a rate-limit proxy, or tests). */
  apiRoot?: string;
  /** Hosts attachments may be downloaded from. */
  attachmentHosts: string[];
  /** Largest attachment downloaded, bytes. */
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  /** Jobs one guild may have waiting or running. */
  maxJobsPerGuild: number;
  /** Discord's interaction token lifetime, minus a margin for the final edit. */
  tokenLifetimeMs: number;
}

export const DISCORD_DEFAULTS = {
  attachmentHosts: ['cdn.discordapp.com', 'media.discordapp.net'],
  maxDownloadBytes: 25 * 1024 * 1024,
  downloadTimeoutMs: 30_000,
  maxJobsPerGuild: 8,
  tokenLifetimeMs: 15 * 60_000 - 30_000,
} as const;
