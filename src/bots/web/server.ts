/**
 * The studio's HTTP server (Fastify): the page (static files, no build step), its small API, and
 * the health and metrics routes when the process has them: one server per process.
 *
 * - `GET /`: the page; `GET /studio/*`: its script and styles;
 * - `GET /api/info?lang=`: styles with their licences, option ranges and defaults, limits, and the
 *   page's texts in the browser's language;
 * - `POST /api/cartoon`: one photo (see StudioJobs).
 */
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTION_LIMITS, OUTPUT_FORMATS, ToonError, type Engine, type Logger } from '../../engine/index.ts';
import { errorText, texts } from '../../i18n/index.ts';
import { textContext } from '../shared/captions.ts';
import { healthRoutes, listen, type HealthRoutes, type HealthServer } from '../../observe/server.ts';
import type { RunningBot } from '../shared/RunningBot.ts';
import { BrowserIds, Guesses, refusal } from './guard.ts';
import { WEB_DEFAULTS, type WebOptions } from './options.ts';
import { langOf, StudioJobs } from './StudioJobs.ts';
import type { StudioInfo } from './wire.ts';

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
/** Resolutions the page offers (the API takes any whole number in range). */
const RESOLUTIONS = [512, 768, 1024, 1536, 2048];

export interface WebServer extends HealthServer {
  /** The studio as one of the process's front ends (stop: refuse new photos, answer the rest). */
  readonly studio: RunningBot;
  readonly url: string;
}

export async function startWebServer(engine: Engine, options: WebOptions & { log: Logger; health?: HealthRoutes }): Promise<WebServer> {
  const { log } = options;
  const uploadMs = options.uploadMs ?? WEB_DEFAULTS.uploadMs;
  const app = Fastify({
    logger: false,
    // Only behind a proxy the operator named: else X-Forwarded-For is anyone's to invent.
    trustProxy: options.trustProxy === true,
    // A request (headers and body) must arrive within the upload limit and a little more; idle
    // sockets close; the answer (an event stream) is not limited by these.
    requestTimeout: uploadMs + 5000,
    connectionTimeout: 0,
    keepAliveTimeout: 10_000,
  });
  app.server.headersTimeout = 10_000;
  const ids = new BrowserIds(options.secret);
  const guesses = new Guesses();
  const jobs = new StudioJobs(engine, log, { ids, ...pick(options, 'uploadIdleMs', 'uploadMs', 'perAddress', 'uploadBudgetBytes') });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'blob:', 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
    },
    // Plain HTTP on a LAN address: HSTS would be ignored, and upgrading requests would break the page.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', async (req, reply) => {
    const refused = refusal(req, options, guesses, log);
    if (refused)
      return reply
        .code(refused.status)
        .headers(refused.headers ?? {})
        .type('text/plain')
        .send(refused.text);
    if (req.method === 'GET' && (req.url === '/' || req.url.startsWith('/?'))) ids.ensure(req, reply);
    return undefined;
  });
  await app.register(multipart);
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/studio/', index: false, cacheControl: false, setHeaders: (res) => void res.setHeader('cache-control', 'no-cache') });

  app.get('/', async (_req, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  app.get('/api/info', async (req): Promise<StudioInfo> => {
    const lang = langOf(req);
    const defaults = engine.parseOptions();
    return {
      lang,
      texts: texts(lang).studio,
      // Checked on the page before uploading, in the words the server would use.
      messages: { tooLarge: errorText(lang, new ToonError('IMAGE_TOO_LARGE', { detail: { maxBytes: engine.limits.maxBytes } }), textContext(engine, 'web')) },
      // Each style's description in the page's language where its manifest has one.
      styles: engine.styles().map(({ descriptions, ...style }) => ({ ...style, description: descriptions?.[lang] ?? style.description })),
      defaults,
      limits: {
        strength: OPTION_LIMITS.strength,
        resolution: OPTION_LIMITS.resolution,
        resolutions: RESOLUTIONS,
        formats: OUTPUT_FORMATS,
        maxBytes: engine.limits.maxBytes,
        maxMegapixels: Math.round(engine.limits.maxPixels / 1e6),
      },
    };
  });
  app.post('/api/cartoon', (req, reply) => jobs.handle(req, reply));
  if (options.health) healthRoutes(app, options.health);

  const server = await listen(app, options, 'web studio listening');
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    ...server,
    url: `http://${host}:${server.port}/`,
    studio: { name: 'web', stop: () => jobs.stop(), abort: () => jobs.abort() },
  };
}

/** The listed keys of `options` that are set. */
function pick<T extends object, K extends keyof T>(options: T, ...keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]])) as Partial<Pick<T, K>>;
}
