/**
 * The main job (`npm start`): reads `.env`, builds the engine, starts the adapters whose tokens are
 * set, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, describeConfig, loadConfig, type AppConfig } from './config.ts';
import { createEngine, createLogger, type Engine, type Logger } from './engine/index.ts';
import type { RunningBot } from './bots/shared/RunningBot.ts';

async function startAdapters(config: AppConfig, engine: Engine, logger: Logger): Promise<RunningBot[]> {
  const bots: RunningBot[] = [];
  try {
    if (config.telegram) {
      const { startTelegram } = await import('./bots/telegram/index.ts');
      bots.push(await startTelegram(engine, config.telegram, logger));
    }
    if (config.discord) {
      const { startDiscord } = await import('./bots/discord/index.ts');
      bots.push(await startDiscord(engine, config.discord, logger));
    }
  } catch (error) {
    // One adapter failed to start: stop the ones already running before giving up.
    await Promise.allSettled(bots.map((b) => b.stop()));
    throw error;
  }
  return bots;
}

async function main(): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (!config.telegram && !config.discord) {
    process.stderr.write('No bot token set: put TELEGRAM_BOT_TOKEN, or DISCORD_TOKEN and DISCORD_APPLICATION_ID, in .env (see .env.example).\n');
    process.stderr.write('To try the cartoon engine without a bot: npx toonbot cartoon test/fixtures/astronaut.png -o out\n');
    return 1;
  }

  const logger = createLogger(config.logLevel);
  logger.info('starting', describeConfig(config));
  const engine = await createEngine({ ...config.engine, logger });
  await engine.warmup();

  let bots: RunningBot[];
  try {
    bots = await startAdapters(config, engine, logger);
  } catch (error) {
    logger.error('could not start', { error });
    await engine.close();
    return 1;
  }
  logger.info('ready', { bots: bots.map((b) => b.name) });

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info('stopping', { signal, ...engine.stats() });
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await Promise.allSettled(bots.map((b) => b.stop()));
  await engine.close();
  logger.info('stopped', { ...engine.stats() });
  return 0;
}

process.exitCode = await main();
