/** Settings of the Telegram adapter (kept apart so that config.ts need not load telegraf). */
import type { RetryPolicy } from './send.ts';

export interface TelegramOptions {
  token: string;
  /** Another Bot API server (self-hosted, or a test server). */
  apiRoot?: string;
  /** Webhook mode when set: the public https URL Telegram posts updates to. */
  webhookUrl?: string;
  webhookSecret?: string;
  webhookPort?: number;
  /** Interface the webhook server listens on. @default all interfaces */
  webhookHost?: string;
  /** Where per-chat settings are kept. */
  settingsPath: string;
  /** Quiet time that ends an album. @default 1200 */
  albumQuietMs: number;
  /** Largest file the Bot API lets a bot download (20 MB, unless self-hosted). */
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  /** Telegram's limit for sendPhoto uploads; larger results go as documents. */
  maxPhotoBytes: number;
  /** Photos one group chat may have in line or running at once (private chats: the per-user cap). */
  maxJobsPerGroup: number;
  /**
   * The Bot API server runs with --local on this machine: its absolute file paths are read from
   * disk. Nowhere else is a local path read.
   */
  localFiles?: boolean;
  retry?: RetryPolicy;
}

export const TELEGRAM_DEFAULTS = {
  albumQuietMs: 1200,
  maxDownloadBytes: 20 * 1000 * 1000,
  downloadTimeoutMs: 60_000,
  maxPhotoBytes: 10 * 1000 * 1000,
  maxJobsPerGroup: 8,
  settingsPath: 'data/telegram-settings.json',
} as const;
