/** The web studio's settings (TOONBOT_WEB_*). */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../engine/index.ts';

export interface WebOptions {
  host: string;
  port: number;
  /** Required when `host` is not a loopback address (HTTP Basic, any user name). */
  password?: string;
  /**
   * Where the password is kept when it is not given: read from the file, or generated into it
   * (mode 0600) on the first start (a container's studio on 0.0.0.0, see studioPassword).
   */
  passwordFile?: string;
  /** An upload that sends nothing for this long is cut and its place in line freed (ms). */
  uploadIdleMs?: number;
  /** A whole upload must arrive within this (ms). */
  uploadMs?: number;
  /** Jobs one client address may have reserved, waiting or running (on top of the per-browser cap). */
  perAddress?: number;
  /** Behind a reverse proxy: the client address comes from X-Forwarded-For (and only then). */
  trustProxy?: boolean;
  /** Signs the browser ids (a random one per process when unset: ids then last until a restart). */
  secret?: string;
  /** Bytes of uploads (and their photos until answered) held at once; beyond it new ones get 503. */
  uploadBudgetBytes?: number;
}

export const WEB_DEFAULTS = { host: '127.0.0.1', port: 8080, uploadIdleMs: 15_000, uploadMs: 60_000, perAddress: 4, uploadBudgetBytes: 256 * 1024 * 1024 } as const;

/** Whether only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Shortest studio password when other machines can reach it: 12 characters of a password manager's
 * alphabet are ~70 bits, beyond any online guessing the rate limits allow.
 */
export const MIN_PUBLIC_PASSWORD = 12;

/**
 * The studio's password from `file`: its first line, or, when the file does not exist yet, a new
 * random one written there (readable by this user only). Never logged: the log names the file.
 */
export async function studioPassword(file: string, log: Logger): Promise<string> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
  const first = existing?.split('\n')[0]?.trim();
  if (first) {
    if (first.length < MIN_PUBLIC_PASSWORD)
      throw new Error(`The studio password in ${file} is too short for a studio other machines can reach: use at least ${MIN_PUBLIC_PASSWORD} characters, or delete the file to have one generated.`);
    return first;
  }
  const password = randomBytes(18).toString('base64url');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  log.info('studio password generated', { file });
  return password;
}
