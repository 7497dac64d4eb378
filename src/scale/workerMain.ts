/**
 * `toonbot worker`: one GPU worker process. Reads the same environment as the bot
 * (TOONBOT_REDIS_URL, TOONBOT_MODELS_DIR, TOONBOT_PROVIDER, ...), with flags for what differs per
 * GPU. Serves /healthz, /readyz and /metrics on TOONBOT_HTTP_PORT when set. SIGINT/SIGTERM: the
 * job in hand is finished, then it exits 0 (a second signal exits at once).
 */
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../engine/index.ts';
import { stopRequested } from '../lifecycle.ts';
import { Metrics } from '../observe/metrics.ts';
import { startHealthServer, type HealthServer, type Readiness } from '../observe/server.ts';
import { startWorker } from './worker.ts';

interface WorkerFlags {
  provider?: string;
  device?: number;
  threads?: number;
  name?: string;
}

export async function workerMain(flags: WorkerFlags): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error: ${error.message}\n`);
    return 2;
  }
  if (!config.scale) {
    process.stderr.write('Set TOONBOT_REDIS_URL (redis://host:6379) to the Redis server the bot enqueues on.\n');
    return 2;
  }
  const logger = createLogger(config.logLevel);
  const stopping = stopRequested(logger);
  const metrics = new Metrics();
  const readiness: Readiness = { state: 'starting', bots: [], providers: [] };
  let health: HealthServer | undefined;
  const runtime = {
    ...config.engine.runtime,
    ...(flags.provider ? { provider: flags.provider } : {}),
    ...(flags.threads !== undefined ? { intraOpThreads: flags.threads } : {}),
    ...(flags.device !== undefined ? { deviceId: flags.device } : {}),
  };
  let worker;
  try {
    if (config.http) health = await startHealthServer({ ...config.http, metrics, readiness: () => readiness, log: logger });
    worker = await startWorker({
      redisUrl: config.scale.redisUrl,
      engine: { ...config.engine, runtime, onJob: metrics.observe },
      log: logger,
      lockMs: config.scale.workerLockMs,
      stalledCheckMs: config.scale.workerLockMs,
      ...(flags.name ? { name: flags.name } : {}),
    });
  } catch (error) {
    logger.error('worker could not start', { error });
    await health?.close();
    return 1;
  }
  // A worker asked for a provider by name serves on it or not at all: one that quietly ran on the
  // CPU while its operator counts on CUDA would be a slow worker no one notices.
  const named = runtime.provider ?? 'auto';
  const ranOn = worker.engine.providers();
  if (named !== 'auto' && named !== 'cpu' && !ranOn.some((p) => p.startsWith(named))) {
    logger.error(
      `worker asked for --provider ${named}, but the models opened on ${ranOn.join(', ') || 'nothing'}: install ${named === 'cuda' || named === 'tensorrt' ? "onnxruntime-node's CUDA build (README: CUDA)" : 'its runtime'}, or run with --provider auto`,
      { provider: named, ranOn },
    );
    await worker.close();
    await health?.close();
    return 1;
  }
  metrics.watch(worker.engine);
  Object.assign(readiness, { state: 'ready', bots: ['worker'], providers: ranOn });
  const signal = await stopping;
  readiness.state = 'draining';
  logger.info('worker stopping: finishing the job in hand', { signal });
  await worker.close();
  await health?.close();
  logger.info('worker stopped');
  return 0;
}
