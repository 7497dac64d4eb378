/**
 * Every call that talks to users goes through `tryCall`/`safeCall`, each attempt with a time
 * limit: a 429 is waited out for `retry_after`
 * (telegraf only does this for polling), a 403 (the user blocked the bot, or it was removed from
 * the group) is logged and dropped, anything else is logged and returned as undefined. `Outbox`
 * wraps the calls the adapter's parts share.
 */
import type { Telegram } from 'telegraf';
import type { Logger } from '../../engine/index.ts';
import type { StatusSink } from '../shared/QueueStatus.ts';
import { withTimeout } from '../shared/timeout.ts';
import type { InlineKeyboardButton } from 'telegraf/types';

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
  /** Time limit of one attempt (a file upload included). @default 60_000 */
  timeoutMs?: number;
  sleep: (ms: number) => Promise<void>;
}

const CALL_TIMEOUT_MS = 60_000;

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  maxWaitS: 60,
  timeoutMs: CALL_TIMEOUT_MS,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

function errorCode(error: unknown): number | undefined {
  const e = error as TelegramLikeError;
  return e?.response?.error_code ?? (typeof e?.code === 'number' ? e.code : undefined);
}

type CallOutcome<T> = { ok: true; value: T } | { ok: false; code: number | undefined; description: string };

/** Runs `call`, retrying on 429, each attempt within the policy's time limit. A failure is logged and returned. */
export async function tryCall<T>(what: string, call: () => Promise<T>, log: Logger, policy: RetryPolicy = DEFAULT_RETRY): Promise<CallOutcome<T>> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { ok: true, value: await withTimeout(`telegram ${what}`, policy.timeoutMs ?? CALL_TIMEOUT_MS, () => call()) };
    } catch (error) {
      const code = errorCode(error);
      const e = error as TelegramLikeError;
      if (code === 429 && attempt < policy.attempts) {
        const wait = Math.min(e.response?.parameters?.retry_after ?? e.parameters?.retry_after ?? 1, policy.maxWaitS);
        log.warn('rate limited, waiting', { call: what, retryAfterS: wait, attempt });
        await policy.sleep(wait * 1000);
        continue;
      }
      const description = e?.response ? String((e as { description?: string }).description) : String(error);
      if (code === 403) log.info('forbidden: user blocked the bot or it left the chat; dropped', { call: what });
      else log.error('telegram call failed', { call: what, code, description });
      return { ok: false, code, description };
    }
  }
}

/** `tryCall`, for calls whose failure only needs logging: the value, or undefined. */
async function safeCall<T>(what: string, call: () => Promise<T>, log: Logger, policy: RetryPolicy = DEFAULT_RETRY): Promise<T | undefined> {
  const outcome = await tryCall(what, call, log, policy);
  return outcome.ok ? outcome.value : undefined;
}

/** The bot's outgoing calls that every part shares: replies, the chat action, the status message. */
export class Outbox {
  constructor(
    readonly telegram: Telegram,
    readonly log: Logger,
    readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /** `safeCall` with this bot's logger and retry policy; `quiet` tries once (cosmetic calls). */
  call<T>(what: string, call: () => Promise<T>, quiet = false): Promise<T | undefined> {
    return safeCall(what, call, this.log, quiet ? { ...this.retry, attempts: 1 } : this.retry);
  }

  /** `tryCall` with this bot's logger and retry policy: for calls with a fallback. */
  try<T>(what: string, call: () => Promise<T>): Promise<CallOutcome<T>> {
    return tryCall(what, call, this.log, this.retry);
  }

  /** A text message replying to `messageId` (sent even if that message is gone), with buttons if given. */
  async reply(chatId: number, messageId: number, text: string, buttons?: InlineKeyboardButton[][]): Promise<number | undefined> {
    const sent = await this.call('sendMessage', () =>
      this.telegram.sendMessage(chatId, text, { reply_parameters: { message_id: messageId, allow_sending_without_reply: true }, ...(buttons ? { reply_markup: { inline_keyboard: buttons } } : {}) }),
    );
    return sent?.message_id;
  }

  /** Shows "sending a photo…" now and every 4.5 s (Telegram shows it for 5 s) until stopped. */
  chatAction(chatId: number, action: 'upload_photo' | 'upload_document' | 'upload_video' | 'record_video_note'): () => void {
    const send = () => void this.call('sendChatAction', () => this.telegram.sendChatAction(chatId, action), true);
    send();
    const timer = setInterval(send, 4500);
    return () => clearInterval(timer);
  }

  /**
   * The place in line as a message of its own, replying to the photo, with the job's Cancel button
   * while it has one (`button` is asked at each update); deleted when done, or left saying how it ended.
   */
  statusSink(chatId: number, replyTo: number, button: () => InlineKeyboardButton | undefined = () => undefined, onShown?: (messageId: number) => void): StatusSink {
    let id: number | undefined;
    const edit = (text: string, keyboard: InlineKeyboardButton[][] | undefined) =>
      this.call('editMessageText', () => this.telegram.editMessageText(chatId, id, undefined, text, keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {}), true);
    return {
      kind: 'message',
      show: async (text) => {
        const b = button();
        if (id === undefined) {
          id = await this.reply(chatId, replyTo, text, b ? [[b]] : undefined);
          if (id !== undefined) onShown?.(id);
        } else await edit(text, b ? [[b]] : undefined);
      },
      end: async (text) => {
        if (id === undefined) id = await this.reply(chatId, replyTo, text);
        else await edit(text, undefined);
        id = undefined;
      },
      clear: async () => {
        if (id !== undefined) await this.call('deleteMessage', () => this.telegram.deleteMessage(chatId, id as number));
        id = undefined;
      },
    };
  }
}
