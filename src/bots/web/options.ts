/** The web studio's settings (TOONBOT_WEB_*). */
export interface WebOptions {
  host: string;
  port: number;
  /** Required when `host` is not a loopback address (HTTP Basic, any user name). */
  password?: string;
}

export const WEB_DEFAULTS = { host: '127.0.0.1', port: 8080 } as const;

/** Whether only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
