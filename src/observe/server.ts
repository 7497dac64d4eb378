/**
 * The process's health and metrics over HTTP:
 * - `/healthz`: the process answers;
 * - `/readyz`: 200 once the models are loaded and the bots logged in, with the execution
 *   providers in use; 503 while starting or draining;
 * - `/metrics`: Prometheus text format.
 *
 * One HTTP server per process: these routes are a Fastify plugin, served by the web studio's
 * server when the studio runs, else by a server of their own on TOONBOT_HTTP_PORT.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../engine/index.ts';
import type { Metrics } from './metrics.ts';

export interface Readiness {
  /** `unavailable`: started, but the engine cannot take photos now (scale-out: Redis is away). */
  state: 'starting' | 'ready' | 'draining' | 'unavailable';
  /** Bots logged in (and 'web' for the studio). */
  bots: string[];
  /** Execution providers the models run on. */
  providers: string[];
}

export interface HealthRoutes {
  metrics: Metrics;
  readiness: () => Readiness;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Adds /healthz, /readyz and /metrics to `app`. */
export function healthRoutes(app: FastifyInstance, { metrics, readiness }: HealthRoutes): void {
  const noStore = { 'cache-control': 'no-store' };
  app.get('/healthz', async (_req, reply) => reply.headers(noStore).type('text/plain').send('ok\n'));
  app.get('/readyz', async (_req, reply) => {
    const state = readiness();
    return reply
      .code(state.state === 'ready' ? 200 : 503)
      .headers(noStore)
      .send(state);
  });
  app.get('/metrics', async (_req, reply) =>
    reply
      .headers(noStore)
      .type(metrics.registry.contentType)
      .send(await metrics.registry.metrics()),
  );
}

/** A server with the health routes only (no studio in this process). */
export async function startHealthServer(options: HealthRoutes & { port: number; host: string; log: Logger }): Promise<HealthServer> {
  const app = Fastify({ logger: false });
  healthRoutes(app, options);
  return listen(app, options, 'health and metrics listening');
}

/** Starts `app` on host:port and logs `what` with the port it got. */
export async function listen(app: FastifyInstance, options: { port: number; host: string; log: Logger }, what: string): Promise<HealthServer> {
  app.setErrorHandler((thrown, req, reply) => {
    const error = thrown as { statusCode?: unknown; code?: string; message: string };
    // Fastify's own refusals of a bad request (a wrong content type, bad JSON, a path outside the
    // static root, a NUL in the URL) are the client's: their 4xx, the JSON error body, an info line.
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      options.log.info('bad request', { status, code: error.code, method: req.method, message: String(error.message ?? '').slice(0, 200) });
      void reply.code(status).send({ error: { code: error.code ?? 'BAD_REQUEST', message: error.message } });
      return;
    }
    options.log.error('http request failed', { error: thrown });
    void reply.code(500).type('text/plain').send('internal error\n');
  });
  await app.listen({ port: options.port, host: options.host });
  const { port } = app.server.address() as AddressInfo;
  options.log.info(what, { host: options.host, port });
  return {
    port,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
