/**
 * A real Redis server for the scale-out tests (Debian's redis-server; .ci/run installs it): its own
 * process on a free loopback port, no persistence unless asked, stopped by the test.
 */
import { spawn } from 'node:child_process';
import { freePort } from './net.ts';

export interface RedisServer {
  url: string;
  port: number;
  /** Ends the server: SIGKILL by default, SIGTERM for a clean shutdown (its data written out). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A Redis server on a free port, or on `port` (a restart of one that was stopped); with `aofDir`,
 * persistent as a production one is (an append-only file there, fsynced every second).
 */
export async function startRedis(port?: number, aofDir?: string): Promise<RedisServer> {
  port ??= await freePort();
  const persistence = aofDir ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', aofDir] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.on('error', (error) => reject(new Error(`redis-server could not start (install Debian's redis-server; .ci/run does): ${error.message}`)));
    child.on('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (!output.includes('Ready to accept connections')) {
    if (Date.now() > deadline) throw new Error(`redis-server did not start: ${output.slice(-500)}`);
    await Promise.race([new Promise((r) => setTimeout(r, 20)), failed]);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
