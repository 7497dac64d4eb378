/**
 * The main job (`node --import tsx src/main.ts`; `npm start` runs the same): reads `.env`, builds
 * the engine, starts the adapters whose tokens are set (and the web studio: always when no token
 * is set, else when TOONBOT_WEB_PORT is), and on SIGINT or SIGTERM stops cleanly:
 * no new updates, every accepted job answered (its result, or "restarting, send it again" for
 * what cannot finish within TOONBOT_STOP_GRACE_S), "Queued" messages deleted, exit 0. A second
 * signal exits at once.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, describeConfig, loadConfig, type AppConfig } from './config.ts';
import { createEngine, createLogger, type Engine, type Logger } from './engine/index.ts';
import type { RunningBot } from './bots/shared/RunningBot.ts';
import { Metrics } from './observe/metrics.ts';
import { startHealthServer, type HealthRoutes, type HealthServer, type Readiness } from './observe/server.ts';
import { startWebServer, type WebServer } from './bots/web/server.ts';

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

/**
 * Resolves with the first SIGINT or SIGTERM; a second one exits at once. Under `npm start` the
 * parent is npm, which exits on SIGTERM without passing it on: a parent that goes away counts as
 * a SIGTERM too, so the bot never runs on orphaned.
 */
function stopRequested(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let requested = false;
    const stop = (reason: string): void => {
      if (requested) {
        logger.warn('second signal: exiting now', { signal: reason });
        process.exit(reason === 'SIGINT' ? 130 : 143);
      }
      requested = true;
      resolve(reason);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    if (process.env.npm_lifecycle_event) {
      // npm runs scripts through `sh -c`: watch npm (the grandparent) as well as the parent.
      const watched = [process.ppid, parentOf(process.ppid)].filter((pid): pid is number => pid !== undefined && pid > 1);
      const watch = setInterval(() => {
        if (!requested && watched.some((pid) => !alive(pid))) {
          clearInterval(watch);
          stop('parent exited');
        }
      }, 500);
      watch.unref();
    }
  });
}

/** The parent of `pid`, where /proc says (Linux); undefined elsewhere. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  const engine = await createEngine({ ...config.engine, logger, onJob: metrics.observe });
  metrics.watch(engine);
  const readiness: Readiness = { state: 'starting', bots: [], providers: [] };
  const healthRoutes: HealthRoutes = { metrics, readiness: () => ({ ...readiness, providers: engine.providers() }) };
  // One HTTP server per process: the studio's carries health and metrics when it runs.
  let health: HealthServer | undefined;
  let web: WebServer | undefined;
  let bots: RunningBot[] = [];
  try {
    if (config.web) {
      if (config.http && config.http.port !== config.web.port) logger.warn('TOONBOT_HTTP_PORT is not used while the studio runs: /healthz, /readyz and /metrics are on the studio port', { studioPort: config.web.port });
      health = web = await startWebServer(engine, { ...config.web, log: logger, health: healthRoutes });
    } else if (config.http) {
      health = await startHealthServer({ ...config.http, ...healthRoutes, log: logger });
    }
    await engine.warmup();
    bots = await startAdapters(config, engine, logger);
    if (web) bots.push(web.studio);
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    logger.error(inUse ? 'could not start: the port is in use (set TOONBOT_WEB_PORT or TOONBOT_HTTP_PORT to a free one)' : 'could not start', { error });
    await Promise.allSettled(bots.map((b) => b.stop()));
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
  await engine.close();
  await health?.close();
  logger.info('stopped', { ...engine.stats() });
  return 0;
}

// Exit explicitly: a client library's leftover socket or timer must not keep a stopped bot alive.
process.exit(await main());
