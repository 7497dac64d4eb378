/**
 * Who may use the studio, and as whom:
 * - a password (HTTP Basic, any user name) when the studio is bound beyond this machine; the
 *   health probes stay open;
 * - on a loopback binding, requests must name a loopback Host (a web page elsewhere cannot reach
 *   the studio through DNS rebinding), and a POST from a page must come from the studio's own
 *   origin (no cross-site form posts);
 * - each browser gets a random id in a cookie, signed with the server's secret, so that the
 *   per-user cap counts browsers and an invented id counts for nothing; clients without a valid
 *   one (curl) count by address.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../engine/index.ts';
import { isLoopback, type WebOptions } from './options.ts';

const COOKIE = 'toonbot_browser';
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/** Wrong passwords from one address before it has to wait, and the longest wait (s). */
const FREE_GUESSES = 5;
const MAX_WAIT_S = 60;

/**
 * Password guesses per client address: after a few wrong ones, each next try waits a little
 * longer (1 s, 2 s, 4 s… up to a minute); a right one clears the count.
 */
export class Guesses {
  readonly #wrong = new Map<string, { count: number; until: number }>();

  /** Seconds this address must still wait, or 0. */
  waitFor(address: string): number {
    const entry = this.#wrong.get(address);
    return entry ? Math.max(0, Math.ceil((entry.until - Date.now()) / 1000)) : 0;
  }

  wrong(address: string): void {
    const count = (this.#wrong.get(address)?.count ?? 0) + 1;
    const waitS = count < FREE_GUESSES ? 0 : Math.min(MAX_WAIT_S, 2 ** (count - FREE_GUESSES));
    this.#wrong.set(address, { count, until: Date.now() + waitS * 1000 });
    // Bounded: the oldest addresses go first.
    if (this.#wrong.size > 10_000) this.#wrong.delete(this.#wrong.keys().next().value as string);
  }

  right(address: string): void {
    this.#wrong.delete(address);
  }
}

/** Why a request is turned away, or undefined to let it through. */
export function refusal(req: FastifyRequest, options: WebOptions, guesses?: Guesses, log?: Logger): { status: number; text: string; headers?: Record<string, string> } | undefined {
  const path = req.url.split('?')[0] ?? '/';
  if (OPEN_PATHS.has(path)) return undefined;
  if (isLoopback(options.host) && !loopbackHost(req.headers.host)) return { status: 421, text: 'This studio answers on 127.0.0.1 or localhost only.\n' };
  if (options.password !== undefined) {
    const waitS = guesses?.waitFor(req.ip) ?? 0;
    if (waitS > 0) return { status: 429, text: `Too many wrong passwords. Try again in ${waitS} s.\n`, headers: { 'retry-after': String(waitS) } };
    if (!passwordMatches(req.headers.authorization, options.password)) {
      // A browser's first request carries no password: only a wrong one counts as a guess.
      if (req.headers.authorization !== undefined) {
        guesses?.wrong(req.ip);
        log?.info('studio password wrong', { address: req.ip });
      }
      return { status: 401, text: 'Password required.\n', headers: { 'www-authenticate': 'Basic realm="ToonBot studio", charset="UTF-8"' } };
    }
    guesses?.right(req.ip);
  }
  const origin = req.headers.origin;
  if (req.method === 'POST' && origin !== undefined && origin !== 'null' && hostOf(origin) !== req.headers.host) return { status: 403, text: 'Cross-site requests are not accepted.\n' };
  if (req.method === 'POST' && origin === 'null') return { status: 403, text: 'Cross-site requests are not accepted.\n' };
  return undefined;
}

function loopbackHost(header: string | undefined): boolean {
  if (!header) return false;
  const host = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '');
  return isLoopback(host);
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function passwordMatches(header: string | undefined, password: string): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const given = decoded.slice(decoded.indexOf(':') + 1);
  // Equal-length digests, so that the comparison takes the same time whatever was typed.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return decoded.includes(':') && timingSafeEqual(digest(given), digest(password));
}

/** Browser ids: issued signed, and taken only when the signature is ours. */
export class BrowserIds {
  readonly #secret: Buffer;

  constructor(secret?: string) {
    this.#secret = secret ? createHash('sha256').update(secret).digest() : randomBytes(32);
  }

  /** The requester for the per-user cap: the browser's id, else the client's address. */
  requester(req: FastifyRequest): string {
    const id = this.#valid(req.headers.cookie);
    return id ? `web:${id}` : `web:ip:${req.ip}`;
  }

  /** Gives a browser without a valid id its id (a year, this site only, not readable by scripts). */
  ensure(req: FastifyRequest, reply: FastifyReply): void {
    if (this.#valid(req.headers.cookie)) return;
    const id = randomBytes(12).toString('base64url');
    void reply.header('set-cookie', `${COOKIE}=${id}.${this.#sign(id)}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict`);
  }

  #sign(id: string): string {
    return createHmac('sha256', this.#secret).update(id).digest('base64url').slice(0, 22);
  }

  #valid(cookies: string | undefined): string | undefined {
    for (const pair of (cookies ?? '').split(';')) {
      const [name, value] = pair.trim().split('=');
      const match = name === COOKIE && value ? /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22})$/.exec(value) : null;
      if (!match) continue;
      const [, id, signature] = match as unknown as [string, string, string];
      if (timingSafeEqual(Buffer.from(signature), Buffer.from(this.#sign(id)))) return id;
    }
    return undefined;
  }
}
