/** The web studio's settings (TOONBOT_WEB_*). */
export interface WebOptions {
  host: string;
  port: number;
  /** Required when `host` is not a loopback address (HTTP Basic, any user name). */
  password?: string;
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
