/**
 * Time limits that fire. `AbortSignal.timeout()` holds its signal weakly: once nothing but a fetch
 * listener refers to the signal, the garbage collector may take it and its timer never fires (a
 * 3 s limit was seen to run 22 s, a download to trickle on for 101 s). These timers are plain
 * `setTimeout`s that hold their controller, and are cleared when the work ends.
 */

class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} took longer than ${ms} ms`);
  }
}

/**
 * Runs `work` with a signal that aborts after `ms` (or when `parent` aborts), and rejects with a
 * TimeoutError at the limit even if `work` ignores its signal.
 */
export async function withTimeout<T>(what: string, ms: number, work: (signal: AbortSignal) => Promise<T>, parent?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const error = new TimeoutError(what, ms);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const onParentAbort = () => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  if (parent?.aborted) onParentAbort();
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}
