import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { studioPassword } from '../src/bots/web/options.ts';
import { ConfigError, describeConfig, parseConfig } from '../src/config.ts';
import { silentLogger } from '../src/engine/index.ts';

const TOKEN = 'test-telegram-token-not-real';

describe('parseConfig', () => {
  it('gives the engine defaults and no bots for an empty environment', () => {
    const config = parseConfig({});
    expect(config.telegram).toBeNull();
    expect(config.discord).toBeNull();
    expect(config.engine.queue).toEqual({ concurrency: 1, maxWaiting: 32, perRequester: 2, deadlineMs: 120_000 });
    expect(config.engine.limits).toEqual({ maxPixels: 40_000_000, maxBytes: 50 * 1024 * 1024, maxUpscale: 4 });
    expect(parseConfig({ TOONBOT_MAX_UPSCALE: '2' }).engine.limits?.maxUpscale).toBe(2);
    expect(parseConfig({ TOONBOT_FACE_THREAD: '0' }).engine.runtime?.faceThread).toBe(false);
    expect(() => parseConfig({ TOONBOT_FACE_THREAD: 'yes' })).toThrow(ConfigError);
    expect(config.engine.runtime).toEqual({ provider: 'auto', intraOpThreads: 0, interOpThreads: 0, cpuArena: true });
    expect(config.logLevel).toBe('info');
    expect(config.modelscopeUrl).toBe('https://modelscope.cn');
  });

  it('reads tokens, API roots and engine settings', () => {
    const config = parseConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/',
      DISCORD_TOKEN: 'discord-not-real',
      DISCORD_APPLICATION_ID: '123',
      TOONBOT_PROVIDER: 'cuda',
      TOONBOT_THREADS: '2',
      TOONBOT_PER_USER: '3',
      TOONBOT_DEADLINE_S: '60',
      TOONBOT_MAX_MEGAPIXELS: '12',
    });
    expect(config.telegram).toEqual({
      token: TOKEN,
      apiRoot: 'http://127.0.0.1:8081',
      webhookPort: 8443,
      settingsPath: 'data/telegram-settings.json',
      albumQuietMs: 1200,
      maxDownloadBytes: 20_000_000,
      downloadTimeoutMs: 60_000,
      maxPhotoBytes: 10_000_000,
      maxJobsPerGroup: 8,
    });
    expect(config.discord).toMatchObject({ token: 'discord-not-real', applicationId: '123', attachmentHosts: ['cdn.discordapp.com', 'media.discordapp.net'], maxJobsPerGuild: 8 });
    expect(config.engine.runtime).toMatchObject({ provider: 'cuda', intraOpThreads: 2 });
    expect(config.engine.queue).toMatchObject({ perRequester: 3, deadlineMs: 60_000 });
    expect(config.engine.limits?.maxPixels).toBe(12_000_000);
  });

  it('reads the stop, health and Telegram group settings', () => {
    const config = parseConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: 'http://127.0.0.1:8081',
      TELEGRAM_LOCAL_FILES: '1',
      TELEGRAM_GROUP_MAX_JOBS: '5',
      TOONBOT_STOP_GRACE_S: '30',
      TOONBOT_HTTP_PORT: '9100',
    });
    expect(config.telegram).toMatchObject({ localFiles: true, maxJobsPerGroup: 5 });
    expect(config.stopGraceMs).toBe(30_000);
    expect(config.http).toEqual({ port: 9100, host: '127.0.0.1' });
    expect(parseConfig({}).http).toBeNull();
    expect(parseConfig({}).stopGraceMs).toBe(60_000);
    // Local files only from a Bot API server named in TELEGRAM_API_ROOT.
    expect(() => parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_LOCAL_FILES: '1' })).toThrow(/TELEGRAM_LOCAL_FILES=1 needs TELEGRAM_API_ROOT/);
    expect(parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: 'http://127.0.0.1:8081' }).telegram?.localFiles).toBeUndefined();
  });

  it('starts the studio on 127.0.0.1:8080 when no bot token is set, and only on request alongside the bots', () => {
    // Uploads cut after 15 s of silence or 60 s in all; twice the per-user cap per address.
    const limits = { uploadIdleMs: 15_000, uploadMs: 60_000, perAddress: 4, trustProxy: false, uploadBudgetBytes: 256 * 1024 * 1024 };
    expect(parseConfig({}).web).toEqual({ host: '127.0.0.1', port: 8080, ...limits });
    expect(parseConfig({ TOONBOT_WEB_PORT: '9000' }).web).toEqual({ host: '127.0.0.1', port: 9000, ...limits });
    expect(parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN }).web).toBeNull();
    expect(parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TOONBOT_WEB_PORT: '8090' }).web).toEqual({ host: '127.0.0.1', port: 8090, ...limits });
    expect(parseConfig({ TOONBOT_PER_USER: '3', TOONBOT_UPLOAD_IDLE_S: '5', TOONBOT_UPLOAD_S: '30', TOONBOT_WEB_TRUST_PROXY: '1', TOONBOT_WEB_SECRET: 'a key' }).web).toEqual({
      host: '127.0.0.1',
      port: 8080,
      uploadIdleMs: 5000,
      uploadMs: 30_000,
      perAddress: 6,
      trustProxy: true,
      secret: 'a key',
      uploadBudgetBytes: 256 * 1024 * 1024,
    });
    expect(JSON.stringify(describeConfig(parseConfig({ TOONBOT_WEB_SECRET: 'a key' })))).not.toContain('a key');
    // Beyond this machine only with a password, which is never shown.
    expect(() => parseConfig({ TOONBOT_WEB_HOST: '0.0.0.0' })).toThrow(/TOONBOT_WEB_HOST=0.0.0.0 lets other machines reach the studio: set TOONBOT_WEB_PASSWORD/);
    expect(() => parseConfig({ TOONBOT_WEB_HOST: '0.0.0.0', TOONBOT_WEB_PASSWORD: 'hunter2' })).toThrow(/TOONBOT_WEB_PASSWORD is too short .* at least 12 characters/);
    const exposed = parseConfig({ TOONBOT_WEB_HOST: '0.0.0.0', TOONBOT_WEB_PASSWORD: 'hunter2-long' });
    expect(exposed.web).toEqual({ host: '0.0.0.0', port: 8080, password: 'hunter2-long', ...limits });
    expect(JSON.stringify(describeConfig(exposed))).not.toContain('hunter2-long');
    expect(describeConfig(exposed).web).toEqual({ host: '0.0.0.0', port: 8080, password: 'set' });
  });

  it('turns on scale-out mode with a Redis URL, and never shows its password', () => {
    expect(parseConfig({}).scale).toBeNull();
    const config = parseConfig({ TOONBOT_REDIS_URL: 'redis://:s3cret-pass@redis.internal:6379/2', TOONBOT_INSTANCE: 'bot-eu', TOONBOT_WORKER_LOCK_S: '10' });
    expect(config.scale).toEqual({ redisUrl: 'redis://:s3cret-pass@redis.internal:6379/2', instance: 'bot-eu', workerLockMs: 10_000 });
    expect(JSON.stringify(describeConfig(config))).not.toContain('s3cret-pass');
    expect(describeConfig(config).scale).toMatchObject({ redis: 'redis://:redacted@redis.internal:6379/2', instance: 'bot-eu' });
    expect(parseConfig({ TOONBOT_REDIS_URL: 'redis://localhost' }).scale?.instance).toBe('bot');
    expect(() => parseConfig({ TOONBOT_REDIS_URL: 'http://:pw@localhost' })).toThrow(new ConfigError('Expected a redis:// or rediss:// URL for TOONBOT_REDIS_URL'));
  });

  it('fails with the variable name and the expected form', () => {
    expect(() => parseConfig({ TOONBOT_PER_USER: 'two' })).toThrow(new ConfigError('Expected a whole number from 1 to 1000 for TOONBOT_PER_USER, got "two"'));
    expect(() => parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: 'ftp://x' })).toThrow(/TELEGRAM_API_ROOT/);
    expect(() => parseConfig({ DISCORD_TOKEN: 'x' })).toThrow(/DISCORD_APPLICATION_ID/);
    expect(() => parseConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: 'has spaces' })).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
  });

  it('never shows a secret in its loggable description', () => {
    const config = parseConfig({ TELEGRAM_BOT_TOKEN: TOKEN, DISCORD_TOKEN: 'discord-secret-value', DISCORD_APPLICATION_ID: '1' });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('discord-secret-value');
    expect(text).toContain('"token":"set"');
  });

  it('an empty value counts as unset: a copied .env never switches off what the container image sets', () => {
    const config = parseConfig({ TOONBOT_HTTP_PORT: '', TOONBOT_HTTP_HOST: '', TOONBOT_WEB_HOST: '', TOONBOT_WEB_PORT: '', TOONBOT_WEB_PASSWORD: '' });
    expect(config.http).toBeNull();
    expect(config.web).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.web?.password).toBeUndefined();
  });

  it("the container image's settings: studio and health on one port, 8080 on all addresses, the password in the data volume", () => {
    const image = { TOONBOT_HTTP_HOST: '0.0.0.0', TOONBOT_HTTP_PORT: '8080', TOONBOT_WEB_HOST: '0.0.0.0', TOONBOT_WEB_PASSWORD_FILE: '/app/data/studio-password' };
    const alone = parseConfig(image);
    expect(alone.web).toMatchObject({ host: '0.0.0.0', port: 8080, passwordFile: '/app/data/studio-password' });
    expect(alone.http).toEqual({ host: '0.0.0.0', port: 8080 });
    // With a bot token the studio is off and health is on the same port.
    const withBot = parseConfig({ ...image, TELEGRAM_BOT_TOKEN: TOKEN });
    expect(withBot.web).toBeNull();
    expect(withBot.http).toEqual({ host: '0.0.0.0', port: 8080 });
    // A password given outright wins over the file; neither, on 0.0.0.0, is refused.
    expect(parseConfig({ ...image, TOONBOT_WEB_PASSWORD: 'a-long-enough-password' }).web?.passwordFile).toBeUndefined();
    expect(() => parseConfig({ TOONBOT_WEB_HOST: '0.0.0.0' })).toThrow(/TOONBOT_WEB_PASSWORD_FILE/);
  });
});

describe('studioPassword', () => {
  it('generates a password into its file once (readable by its owner only), then reads it back; a short one is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-pw-'));
    try {
      const file = path.join(dir, 'data', 'studio-password');
      const logged: Record<string, unknown>[] = [];
      const log = { ...silentLogger, info: (_m: string, f?: Record<string, unknown>) => void logged.push(f ?? {}) };
      const first = await studioPassword(file, log);
      expect(first.length).toBeGreaterThanOrEqual(20);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await studioPassword(file, log)).toBe(first);
      // The log names the file, never the password.
      expect(JSON.stringify(logged)).not.toContain(first);
      await writeFile(file, 'short\n');
      await expect(studioPassword(file, log)).rejects.toThrow(/too short/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
