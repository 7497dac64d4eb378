// @ts-check
// The studio's API, as the page uses it: the info it starts from, and one photo sent with the
// answer read as server-sent events. The shapes are the server's own (../wire.ts).

/** @typedef {import('../wire.ts').StudioInfo} StudioInfo */
/** @typedef {import('../wire.ts').StudioResult} StudioResult */
/** @typedef {import('../wire.ts').StudioEvents} StudioEvents */
/** @typedef {import('../wire.ts').StudioError} StudioError */

/** The page's language: Chinese for a Chinese browser, else English. */
export const lang = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';

/** @returns {Promise<StudioInfo>} */
export async function fetchInfo() {
  const res = await fetch(`/api/info?lang=${lang}`);
  if (!res.ok) throw new TypeError(`HTTP ${res.status}`);
  return res.json();
}

/**
 * Sends one photo; calls `onPosition` while it waits (and `onProgress` while a clip is drawn) and returns the result. A refusal or a
 * failed job throws an Error with the server's words; a connection that breaks, a TypeError.
 * Aborting `signal` closes the connection: the server takes the photo out of the line.
 * @param {FormData} form
 * @param {(position: number) => void} onPosition
 * @param {AbortSignal} signal
 * @param {(progress: StudioEvents['progress']) => void} [onProgress]
 * @returns {Promise<StudioEvents['result']>}
 */
export async function sendPhoto(form, onPosition, signal, onProgress) {
  const res = await fetch(`/api/cartoon?lang=${lang}`, { method: 'POST', body: form, headers: { accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) {
    /** @type {{ error?: StudioError } | undefined} */
    const body = await res.json().catch(() => undefined);
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  /** @type {StudioEvents['result'] | undefined} */
  let result;
  for await (const [event, data] of readEvents(res.body)) {
    if (event === 'position') onPosition(/** @type {StudioEvents['position']} */ (data).position);
    else if (event === 'progress') onProgress?.(/** @type {StudioEvents['progress']} */ (data));
    else if (event === 'error') throw new Error(/** @type {StudioError} */ (data).message);
    else if (event === 'result') result = /** @type {StudioEvents['result']} */ (data);
  }
  if (!result) throw new TypeError('the answer was cut short');
  return result;
}

/**
 * The events of a text/event-stream body, as [name, parsed data]; comments (heartbeats) skipped.
 * @param {ReadableStream<BufferSource>} body
 * @returns {AsyncGenerator<[string, unknown]>}
 */
async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) yield [event, JSON.parse(data)];
    }
  }
}

/**
 * @param {string} base64
 * @param {string} mime
 */
export function base64Blob(base64, mime) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: mime });
}
