/**
 * The main job (`node --import tsx src/main.ts`; `npm start` runs the same): reads `.env`, builds
 * the engine, starts the adapters whose tokens are set (and the web studio: always when no token
 * is set, else when TOONBOT_WEB_PORT is), and on SIGINT or SIGTERM stops cleanly:
 * no new updates, every accepted job answered (its result, or "restarting, send it again" for
 * what cannot finish within TOONBOT_STOP_GRACE_S), "Queued" messages deleted, exit 0. A second
 * signal exits at once.
 */
import { ConfigError, describeConfig, loadConfig, type AppConfig } from './config.ts';
import { stopRequested } from './lifecycle.ts';
import { createEngine, createLogger, type Engine, type LateOutcome, type Logger, type ReplyAddress } from './engine/index.ts';
import { createRemoteEngine } from './scale/RemoteEngine.ts';
import type { RunningBot } from './bots/shared/RunningBot.ts';
import { Metrics } from './observe/metrics.ts';
import { DailyStats } from './observe/stats.ts';
import { communityFrom, type Community } from './bots/shared/community.ts';
import { Journal } from './bots/shared/Journal.ts';
import { startHealthServer, type HealthRoutes, type HealthServer, type Readiness } from './observe/server.ts';
import { startWebServer, type WebServer } from './bots/web/server.ts';
import { studioPassword } from './bots/web/options.ts';

async function startAdapters(config: AppConfig, engine: Engine, logger: Logger, community: Community): Promise<RunningBot[]> {
  const bots: RunningBot[] = [];
  try {
    if (config.telegram) {
      const { startTelegram } = await import('./bots/telegram/index.ts');
      bots.push(await startTelegram(engine, config.telegram, logger, community));
    }
    if (config.discord) {
      const { startDiscord } = await import('./bots/discord/index.ts');
      bots.push(await startDiscord(engine, config.discord, logger, community));
    }
  } catch (error) {
    // One adapter failed to start: stop the ones already running before giving up.
    await Promise.allSettled(bots.map((b) => b.stop()));
    throw error;
  }
  return bots;
}

/**
 * Hands a job from before a restart to the adapter of its platform; not one the journal runs again
 * (`rerun`: the bot was killed between handing it to Redis and recording that), which is answered
 * by that run.
 */
async function answerLater(bots: RunningBot[], replyTo: ReplyAddress, outcome: LateOutcome, logger: Logger, rerun: ReadonlySet<string>): Promise<void> {
  if (typeof replyTo.journal === 'string' && rerun.has(replyTo.journal)) return logger.info('scale-out: a job from before the restart is answered by its run from the journal instead');
  const bot = bots.find((b) => b.name === replyTo.platform);
  if (bot?.answerLater) await bot.answerLater(replyTo, outcome);
  else logger.warn('a job from before the restart has no adapter to answer it', { platform: replyTo.platform });
}

/** Resident and JavaScript heap memory, MiB, for the stop log lines. */
function memory(): Record<string, number> {
  const m = process.memoryUsage();
  const mib = (b: number) => Math.round(b / 1024 / 1024);
  return { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers) };
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
  const logger = createLogger(config.logLevel);
  logger.info('starting', describeConfig(config));
  if (!config.telegram && !config.discord) {
    logger.info('no bot token set: starting the web studio only (put TELEGRAM_BOT_TOKEN, or DISCORD_TOKEN and DISCORD_APPLICATION_ID, in .env for the bots)');
  }
  const stopping = stopRequested(logger);
  const metrics = new Metrics();
  const engineOptions = { ...config.engine, logger, onJob: metrics.observe };
  // Scale-out: the same Engine to the adapters, with the models on workers behind Redis.
  const remote = config.scale ? await createRemoteEngine({ redisUrl: config.scale.redisUrl, instance: config.scale.instance, engine: engineOptions }) : undefined;
  const engine: Engine = remote ?? (await createEngine(engineOptions));
  metrics.watch(engine);
  const readiness: Readiness = { state: 'starting', bots: [], providers: [] };
  const healthRoutes: HealthRoutes = {
    metrics,
    readiness: () => ({ ...readiness, ...(readiness.state === 'ready' && engine.available?.() === false ? { state: 'unavailable' as const } : {}), providers: engine.providers() }),
  };
  // One HTTP server per process: the studio's carries health and metrics when it runs.
  let health: HealthServer | undefined;
  let web: WebServer | undefined;
  let bots: RunningBot[] = [];
  let community: Community | undefined;
  let stats: DailyStats | undefined;
  let journal: Journal | undefined;
  try {
    if (config.web) {
      if (config.http && config.http.port !== config.web.port)
        logger.warn('TOONBOT_HTTP_PORT is not used while the studio runs: /healthz, /readyz and /metrics are on the studio port', { studioPort: config.web.port });
      const password = config.web.password ?? (config.web.passwordFile ? await studioPassword(config.web.passwordFile, logger) : undefined);
      health = web = await startWebServer(engine, { ...config.web, ...(password ? { password } : {}), log: logger, health: healthRoutes });
    } else if (config.http) {
      health = await startHealthServer({ ...config.http, ...healthRoutes, log: logger });
    }
    await engine.warmup();
    if (config.telegram || config.discord) {
      stats = new DailyStats(metrics, engine);
      // The embedded line is in memory: the journal lets a killed bot answer what it accepted. In
      // scale-out mode it holds a job until Redis does (the download, the upload).
      journal = await Journal.open(config.journalPath, logger);
      metrics.watchJournal(journal);
      community = { ...(await communityFrom(config.access, config.scale?.redisUrl, logger, metrics.observe, stats)), ...(journal ? { journal } : {}) };
      bots = await startAdapters(config, engine, logger, community);
    }
    if (web) bots.push(web.studio);
    // Jobs this bot accepted before a restart, finished or still on a worker, are answered now.
    if (remote) {
      const rerun = new Set(journal?.recovered.filter((e) => e.notes.delivered !== true).map((e) => e.key));
      await remote.recover((replyTo, outcome) => answerLater(bots, replyTo, outcome, logger, rerun));
    }
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    logger.error(inUse ? 'could not start: the port is in use (set TOONBOT_WEB_PORT or TOONBOT_HTTP_PORT to a free one)' : 'could not start', { error });
    await Promise.allSettled(bots.map((b) => b.stop()));
    stats?.stop();
    await community?.access.close();
    await journal?.close();
    await engine.close();
    await health?.close();
    return 1;
  }
  Object.assign(readiness, { state: 'ready', bots: bots.map((b) => b.name) });
  logger.info('ready', { bots: readiness.bots, providers: engine.providers(), ...(web ? { studio: web.url } : {}) });
  if (web) process.stdout.write(`ToonBot studio: ${web.url} (Ctrl-C stops it)\n`);

  const signal = await stopping;
  readiness.state = 'draining';
  logger.info('stopping', { signal, graceS: config.stopGraceMs / 1000, ...engine.stats(), memory: memory() });
  // Jobs still unfinished when the grace period ends are answered "restarting, send it again".
  const grace = setTimeout(() => {
    logger.warn('grace period over: answering the jobs left with a refusal', { ...engine.stats() });
    engine.cancelAll();
    for (const bot of bots) bot.abort();
  }, config.stopGraceMs);
  await Promise.allSettled(bots.map((b) => b.stop()));
  clearTimeout(grace);
  stats?.stop();
  await community?.access.close();
  await journal?.close();
  await engine.close();
  await health?.close();
  logger.info('stopped', { ...engine.stats() });
  return 0;
}

// Exit explicitly: a client library's leftover socket or timer must not keep a stopped bot alive.
process.exit(await main());
