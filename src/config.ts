/**
 * Environment to typed configuration, read once at the edge. Secrets are kept in `secrets` and
 * never printed: `describeConfig` shows only whether each one is set.
 */
import { config as loadDotenv } from 'dotenv';
import { DEFAULT_ENGINE_CONFIG, type EngineOptions, type LogLevel } from './engine/index.ts';
import { TELEGRAM_DEFAULTS, type TelegramOptions } from './bots/telegram/options.ts';
import { DISCORD_DEFAULTS, type DiscordOptions } from './bots/discord/options.ts';
import { isLoopback, MIN_PUBLIC_PASSWORD, WEB_DEFAULTS, type WebOptions } from './bots/web/options.ts';
import { SUBJECT, type AccessConfig } from './bots/shared/access/Access.ts';

export interface AppConfig {
  engine: EngineOptions;
  /** Where `toonbot models pull` fetches DCT-Net's styles (ModelScope, or a mirror). */
  modelscopeUrl: string;
  logLevel: LogLevel;
  /** On SIGINT/SIGTERM, how long accepted jobs may still run before they are answered with a refusal. */
  stopGraceMs: number;
  /**
   * /healthz, /readyz and /metrics on a server of their own; null when TOONBOT_HTTP_PORT is unset.
   * When the studio runs, they are served by the studio's server instead.
   */
  http: { port: number; host: string } | null;
  /** The local web studio: on when no bot token is set, else when TOONBOT_WEB_PORT is. */
  web: WebOptions | null;
  /**
   * Scale-out mode (TOONBOT_REDIS_URL): the bot process enqueues on Redis and `toonbot worker`
   * processes run the models. Null: one process, as by default.
   */
  scale: ScaleOptions | null;
  telegram: TelegramOptions | null;
  discord: DiscordOptions | null;
  /** The durable line of the embedded mode: accepted jobs, until answered (bots/shared/Journal.ts). */
  journalPath: string;
  /** Owners, allow and block lists, the daily limit (bots/shared/access). */
  access: AccessConfig & { path: string };
}

interface ScaleOptions {
  redisUrl: string;
  /** This bot process's name: a restarted one answers the jobs it left. */
  instance: string;
  /** A worker's job lock: a dead worker's job goes back in line after about this long. */
  workerLockMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Loads `.env` (if present) without overriding variables already set, then parses. */
export function loadConfig(env: Env = process.env, dotenvPath?: string): AppConfig {
  if (env === process.env) loadDotenv({ quiet: true, ...(dotenvPath ? { path: dotenvPath } : {}) });
  return parseConfig(env);
}

export function parseConfig(env: Env): AppConfig {
  const str = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = str(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`Expected a whole number from ${min} to ${max} for ${name}, got ${JSON.stringify(v)}`);
    return n;
  };
  const url = (name: string): string | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new ConfigError(`Expected an http(s) URL for ${name}, got ${JSON.stringify(v)}`);
    }
    return v.replace(/\/+$/, '');
  };
  /** Platform ids, comma-separated: users (`telegram:123`) and, where `places`, groups and servers. */
  const subjects = (name: string, places: boolean): string[] => {
    const list =
      str(name)
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean) ?? [];
    for (const s of list) {
      if (!SUBJECT.test(s) || (!places && /:(chat|guild|channel):/.test(s))) {
        throw new ConfigError(
          `Expected platform ids for ${name} (${places ? 'telegram:123, telegram:chat:-100123, discord:456, discord:guild:789, discord:channel:1011' : 'telegram:123, discord:456'}), got ${JSON.stringify(s)}`,
        );
      }
    }
    return list;
  };
  const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
  const logLevel = (str('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!logLevels.includes(logLevel)) throw new ConfigError(`Expected one of ${logLevels.join(', ')} for LOG_LEVEL, got ${JSON.stringify(logLevel)}`);

  const d = DEFAULT_ENGINE_CONFIG;
  const engine: EngineOptions = {
    modelsDir: str('TOONBOT_MODELS_DIR') ?? d.modelsDir,
    ...(str('TOONBOT_DEFAULT_STYLE') ? { defaultStyle: str('TOONBOT_DEFAULT_STYLE') } : {}),
    runtime: {
      provider: str('TOONBOT_PROVIDER') ?? d.runtime.provider,
      intraOpThreads: int('TOONBOT_THREADS', d.runtime.intraOpThreads, 0, 256),
      interOpThreads: int('TOONBOT_INTER_OP_THREADS', d.runtime.interOpThreads, 0, 256),
      cpuArena: int('TOONBOT_CPU_ARENA', d.runtime.cpuArena ? 1 : 0, 0, 1) === 1,
      ...(int('TOONBOT_INT8', 1, 0, 1) === 0 ? { int8: false } : {}),
      ...(str('TOONBOT_MAX_SESSIONS') ? { maxSessions: int('TOONBOT_MAX_SESSIONS', 2, 2, 64) } : {}),
      ...(int('TOONBOT_FACE_THREAD', 1, 0, 1) === 0 ? { faceThread: false } : {}),
    },
    queue: {
      concurrency: int('TOONBOT_CONCURRENCY', d.queue.concurrency, 1, 64),
      maxWaiting: int('TOONBOT_MAX_WAITING', d.queue.maxWaiting, 0, 10_000),
      perRequester: int('TOONBOT_PER_USER', d.queue.perRequester, 1, 1000),
      deadlineMs: int('TOONBOT_DEADLINE_S', d.queue.deadlineMs / 1000, 1, 3600) * 1000,
    },
    limits: {
      maxPixels: int('TOONBOT_MAX_MEGAPIXELS', d.limits.maxPixels / 1e6, 1, 1000) * 1e6,
      maxBytes: int('TOONBOT_MAX_MB', d.limits.maxBytes / 1024 / 1024, 1, 1024) * 1024 * 1024,
      maxUpscale: int('TOONBOT_MAX_UPSCALE', d.limits.maxUpscale, 1, 64),
    },
  };

  const telegramToken = str('TELEGRAM_BOT_TOKEN');
  const discordToken = str('DISCORD_TOKEN');
  const applicationId = str('DISCORD_APPLICATION_ID');
  if (discordToken && !applicationId) throw new ConfigError('DISCORD_TOKEN is set but DISCORD_APPLICATION_ID is not; set both to start the Discord bot.');

  const noBots = !telegramToken && !discordToken;
  const webHost = str('TOONBOT_WEB_HOST') ?? WEB_DEFAULTS.host;
  const webPassword = str('TOONBOT_WEB_PASSWORD');
  const webPasswordFile = str('TOONBOT_WEB_PASSWORD_FILE');
  const webOn = noBots || str('TOONBOT_WEB_PORT') !== undefined;
  if (webOn && !isLoopback(webHost) && webPassword === undefined && webPasswordFile === undefined) {
    throw new ConfigError(
      `TOONBOT_WEB_HOST=${webHost} lets other machines reach the studio: set TOONBOT_WEB_PASSWORD (or TOONBOT_WEB_PASSWORD_FILE) too, or leave TOONBOT_WEB_HOST unset (127.0.0.1).`,
    );
  }
  if (webOn && !isLoopback(webHost) && webPassword !== undefined && webPassword.length < MIN_PUBLIC_PASSWORD) {
    throw new ConfigError(`TOONBOT_WEB_PASSWORD is too short for a studio other machines can reach: use at least ${MIN_PUBLIC_PASSWORD} characters.`);
  }

  return {
    engine,
    modelscopeUrl: url('TOONBOT_MODELSCOPE_URL') ?? 'https://modelscope.cn',
    logLevel,
    stopGraceMs: int('TOONBOT_STOP_GRACE_S', 60, 0, 3600) * 1000,
    http: str('TOONBOT_HTTP_PORT') ? { port: int('TOONBOT_HTTP_PORT', 0, 0, 65535), host: str('TOONBOT_HTTP_HOST') ?? '127.0.0.1' } : null,
    scale: str('TOONBOT_REDIS_URL')
      ? { redisUrl: redisUrl(str('TOONBOT_REDIS_URL') as string), instance: str('TOONBOT_INSTANCE') ?? 'bot', workerLockMs: int('TOONBOT_WORKER_LOCK_S', 30, 1, 3600) * 1000 }
      : null,
    web: webOn
      ? {
          host: webHost,
          port: int('TOONBOT_WEB_PORT', WEB_DEFAULTS.port, 0, 65535),
          ...opt('password', webPassword),
          ...(webPassword === undefined ? opt('passwordFile', webPasswordFile) : {}),
          uploadIdleMs: int('TOONBOT_UPLOAD_IDLE_S', WEB_DEFAULTS.uploadIdleMs / 1000, 1, 3600) * 1000,
          uploadMs: int('TOONBOT_UPLOAD_S', WEB_DEFAULTS.uploadMs / 1000, 1, 3600) * 1000,
          // Twice the per-user cap by default: a household behind one address, not a flood.
          perAddress: int('TOONBOT_WEB_PER_ADDRESS', 2 * (engine.queue?.perRequester ?? d.queue.perRequester), 1, 10_000),
          trustProxy: int('TOONBOT_WEB_TRUST_PROXY', 0, 0, 1) === 1,
          uploadBudgetBytes: int('TOONBOT_WEB_UPLOAD_BUDGET_MB', WEB_DEFAULTS.uploadBudgetBytes / 1024 / 1024, 1, 65_536) * 1024 * 1024,
          ...opt('secret', str('TOONBOT_WEB_SECRET')),
        }
      : null,
    journalPath: str('TOONBOT_JOURNAL_PATH') ?? 'data/journal.log',
    access: {
      owners: subjects('TOONBOT_OWNERS', false),
      allow: subjects('TOONBOT_ALLOW', true),
      block: subjects('TOONBOT_BLOCK', true),
      dailyLimit: int('TOONBOT_DAILY_LIMIT', 0, 0, 100_000),
      path: str('TOONBOT_ACCESS_PATH') ?? 'data/access.json',
    },
    telegram: telegramToken
      ? {
          token: telegramToken,
          ...opt('apiRoot', url('TELEGRAM_API_ROOT')),
          ...opt('webhookUrl', url('TELEGRAM_WEBHOOK_URL')),
          ...opt('webhookSecret', secretToken(str('TELEGRAM_WEBHOOK_SECRET'))),
          webhookPort: int('TELEGRAM_WEBHOOK_PORT', 8443, 1, 65535),
          ...opt('webhookHost', str('TELEGRAM_WEBHOOK_HOST')),
          settingsPath: str('TELEGRAM_SETTINGS_PATH') ?? TELEGRAM_DEFAULTS.settingsPath,
          albumQuietMs: int('TELEGRAM_ALBUM_QUIET_MS', TELEGRAM_DEFAULTS.albumQuietMs, 100, 60_000),
          // A self-hosted Bot API server lifts Telegram's 20 MB download limit.
          maxDownloadBytes: int('TELEGRAM_MAX_DOWNLOAD_MB', TELEGRAM_DEFAULTS.maxDownloadBytes / 1e6, 1, 2000) * 1e6,
          downloadTimeoutMs: TELEGRAM_DEFAULTS.downloadTimeoutMs,
          maxPhotoBytes: TELEGRAM_DEFAULTS.maxPhotoBytes,
          maxJobsPerGroup: int('TELEGRAM_GROUP_MAX_JOBS', TELEGRAM_DEFAULTS.maxJobsPerGroup, 1, 1000),
          ...(localFiles(int('TELEGRAM_LOCAL_FILES', 0, 0, 1) === 1, url('TELEGRAM_API_ROOT')) ? { localFiles: true } : {}),
        }
      : null,
    discord:
      discordToken && applicationId
        ? {
            token: discordToken,
            applicationId,
            ...opt('guildId', str('DISCORD_GUILD_ID')),
            ...opt('apiRoot', url('DISCORD_API_ROOT')),
            attachmentHosts: [
              ...DISCORD_DEFAULTS.attachmentHosts,
              ...(str('DISCORD_ATTACHMENT_HOSTS')
                ?.split(',')
                .map((h) => h.trim())
                .filter(Boolean) ?? []),
            ],
            maxDownloadBytes: int('DISCORD_MAX_DOWNLOAD_MB', DISCORD_DEFAULTS.maxDownloadBytes / 1024 / 1024, 1, 500) * 1024 * 1024,
            downloadTimeoutMs: DISCORD_DEFAULTS.downloadTimeoutMs,
            maxJobsPerGuild: int('DISCORD_GUILD_MAX_JOBS', DISCORD_DEFAULTS.maxJobsPerGuild, 1, 1000),
            tokenLifetimeMs: DISCORD_DEFAULTS.tokenLifetimeMs,
          }
        : null,
  };
}

/** A loggable view: values of secrets replaced by whether they are set. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    logLevel: config.logLevel,
    engine: config.engine,
    stopGraceS: config.stopGraceMs / 1000,
    http: config.http ?? 'off',
    scale: config.scale ? { redis: redactUrl(config.scale.redisUrl), instance: config.scale.instance, workerLockS: config.scale.workerLockMs / 1000 } : 'off',
    web: config.web ? { host: config.web.host, port: config.web.port, password: config.web.password ? 'set' : config.web.passwordFile ? `in ${config.web.passwordFile}` : 'none' } : 'off',
    telegram: config.telegram ? { token: 'set', apiRoot: config.telegram.apiRoot ?? 'default', webhook: Boolean(config.telegram.webhookUrl) } : 'off',
    discord: config.discord ? { token: 'set', applicationId: config.discord.applicationId, guildId: config.discord.guildId ?? 'global' } : 'off',
  };
}

/** redis://[user:password@]host[:port][/db] or rediss:// (TLS). */
function redisUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === 'redis:' || u.protocol === 'rediss:') return value;
  } catch {
    // fall through
  }
  throw new ConfigError('Expected a redis:// or rediss:// URL for TOONBOT_REDIS_URL');
}

/** The URL without its password, for logs. */
function redactUrl(value: string): string {
  const u = new URL(value);
  if (u.password) u.password = 'redacted';
  return u.toString();
}

/** TELEGRAM_LOCAL_FILES=1 says the Bot API server (TELEGRAM_API_ROOT) runs --local on this machine. */
function localFiles(on: boolean, apiRoot: string | undefined): boolean {
  if (on && !apiRoot) throw new ConfigError('TELEGRAM_LOCAL_FILES=1 needs TELEGRAM_API_ROOT: the local Bot API server whose files are read from disk');
  return on;
}

/** Telegram's secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -. */
function secretToken(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(value)) {
    throw new ConfigError('Expected 1-256 characters of A-Z, a-z, 0-9, _ and - for TELEGRAM_WEBHOOK_SECRET');
  }
  return value;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
