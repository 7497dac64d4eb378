import { afterEach, describe, expect, it } from 'vitest';
import { Metrics, platformOf } from '../../src/observe/metrics.ts';
import { startHealthServer, type HealthServer, type Readiness } from '../../src/observe/server.ts';
import { silentLogger } from '../../src/engine/index.ts';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const stats = { waiting: 3, work: 4, reserved: 1, running: 1, finishing: 1, done: 0, failed: 0, cancelled: 0, p50: null, p95: null };

describe('metrics', () => {
  it('counts jobs by platform and outcome, times finished ones, and never labels a user', async () => {
    const metrics = new Metrics();
    metrics.watch({ stats: () => stats });
    metrics.observe({ requester: 'telegram:123456789', style: 'toon', outcome: 'done', waitMs: 200, processingMs: 700 });
    metrics.observe({ requester: 'discord:998877665544', style: 'toon', outcome: 'USER_BUSY' });
    metrics.observe({ requester: 'telegram:123456789', style: 'toon', outcome: 'done', waitMs: 0, processingMs: 300 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('toonbot_jobs_total{platform="telegram",outcome="done"} 2');
    expect(text).toContain('toonbot_jobs_total{platform="discord",outcome="USER_BUSY"} 1');
    expect(text).toContain('toonbot_job_wait_seconds_count 2');
    expect(text).toContain('toonbot_job_processing_seconds_sum{style="toon"} 1');
    expect(text).toContain('toonbot_queue_waiting 4');
    expect(text).toContain('toonbot_jobs_running 1');
    expect(text).toContain('toonbot_jobs_finishing 1');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).not.toMatch(/123456789|998877665544/);
  });

  it('keeps platform labels to a known few', () => {
    expect(['telegram:1', 'discord:2', 'web:abc', 'cli', 'anonymous', 'engine:warmup'].map(platformOf)).toEqual(['telegram', 'discord', 'web', 'cli', 'other', 'other']);
  });
});

describe('health server', () => {
  it('answers /healthz always, /readyz 503 until ready and while draining, and serves /metrics', async () => {
    const metrics = new Metrics();
    metrics.watch({ stats: () => stats });
    const readiness: Readiness = { state: 'starting', bots: [], providers: [] };
    server = await startHealthServer({ port: 0, host: '127.0.0.1', metrics, readiness: () => readiness, log: silentLogger });
    const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${server?.port}${path}`, { method });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(503);
    Object.assign(readiness, { state: 'ready', bots: ['telegram'], providers: ['cpu'] });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ state: 'ready', bots: ['telegram'], providers: ['cpu'] });
    readiness.state = 'draining';
    expect((await get('/readyz')).status).toBe(503);
    const scraped = await get('/metrics');
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scraped.text()).toContain('toonbot_queue_waiting 4');
    expect((await get('/elsewhere')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(404);
  });
});
