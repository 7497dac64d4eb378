/**
 * Every call that talks to users goes through `safeCall`: a 429 is waited out for `retry_after`
 * (telegraf only does this for polling), a 403 (the user blocked the bot, or it was removed from
 * the group) is logged and dropped, anything else is logged and returned as undefined.
 */
import type { Logger } from '../../engine/index.ts';

interface TelegramLikeError {
  code?: number;
  response?: { error_code?: number; parameters?: { retry_after?: number } };
  parameters?: { retry_after?: number };
  description?: string;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. @default 4 */
  attempts: number;
  /** Longest wait honoured for one retry_after, seconds; longer ones wait this long. @default 60 */
  maxWaitS: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  maxWaitS: 60,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export function errorCode(error: unknown): number | undefined {
  const e = error as TelegramLikeError;
  return e?.response?.error_code ?? (typeof e?.code === 'number' ? e.code : undefined);
}

/** Runs `call`, retrying on 429. Returns undefined when the call finally fails (logged). */
export async function safeCall<T>(what: string, call: () => Promise<T>, log: Logger, policy: RetryPolicy = DEFAULT_RETRY): Promise<T | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const code = errorCode(error);
      const e = error as TelegramLikeError;
      if (code === 429 && attempt < policy.attempts) {
        const wait = Math.min(e.response?.parameters?.retry_after ?? e.parameters?.retry_after ?? 1, policy.maxWaitS);
        log.warn('rate limited, waiting', { call: what, retryAfterS: wait, attempt });
        await policy.sleep(wait * 1000);
        continue;
      }
      if (code === 403) log.info('forbidden: user blocked the bot or it left the chat; dropped', { call: what });
      else log.error('telegram call failed', { call: what, code, description: e?.response ? (e as { description?: string }).description : String(error) });
      return undefined;
    }
  }
}
