/**
 * The process's health and metrics over HTTP (TOONBOT_HTTP_PORT; off when unset):
 * - `/healthz`: the process answers;
 * - `/readyz`: 200 once the models are loaded and the bots logged in, with the execution
 *   providers in use; 503 while starting or draining;
 * - `/metrics`: Prometheus text format.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../engine/index.ts';
import type { Metrics } from './metrics.ts';

export interface Readiness {
  state: 'starting' | 'ready' | 'draining';
  /** Bots logged in. */
  bots: string[];
  /** Execution providers the models run on. */
  providers: string[];
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: { port: number; host: string; metrics: Metrics; readiness: () => Readiness; log: Logger }): Promise<HealthServer> {
  const { metrics, readiness, log } = options;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (path === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (path === '/readyz') {
      const state = readiness();
      return send(state.state === 'ready' ? 200 : 503, 'application/json', `${JSON.stringify(state)}\n`);
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => send(200, metrics.registry.contentType, text),
        (error: unknown) => {
          log.error('metrics failed', { error });
          send(500, 'text/plain', 'metrics failed\n');
        },
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log.info('health and metrics listening', { host: options.host, port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
