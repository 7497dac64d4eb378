// @ts-check
// What the page shows: the controls filled from the server's info, a result with its before /
// after split and faces, the status and error lines, the recent strip.

/** @typedef {import('../wire.ts').StudioInfo} StudioInfo */
/** @typedef {import('../wire.ts').StudioResult} StudioResult */
/** @typedef {import('./recent.js').RecentItem} RecentItem */

/**
 * The element with this id, of the kind the page's HTML has there.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return /** @type {T} */ (el);
}

/** @type {(id: string) => HTMLInputElement} */
export const input = (id) => $(id);
/** @type {(id: string) => HTMLSelectElement} */
export const select = (id) => $(id);
/** @type {(id: string) => HTMLImageElement} */
const img = (id) => $(id);

const urls = { result: '' };

/**
 * Texts, option lists and their defaults, from the server's info.
 * @param {StudioInfo} info
 */
export function fillControls(info) {
  const t = info.texts;
  document.documentElement.lang = info.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t.title;
  for (const el of document.querySelectorAll('[data-t]')) {
    const key = /** @type {HTMLElement} */ (el).dataset.t;
    el.textContent = key && key in t ? t[/** @type {keyof StudioInfo['texts']} */ (key)] : '';
  }
  fill(
    select('style'),
    info.styles.map((s) => [s.id, s.name]),
    info.defaults.style,
  );
  const strength = input('strength');
  strength.min = String(info.limits.strength.min);
  strength.max = String(info.limits.strength.max);
  strength.value = String(info.defaults.strength);
  const resolutions = [...new Set([...info.limits.resolutions, info.defaults.resolution])].sort((a, b) => a - b);
  fill(
    select('resolution'),
    resolutions.map((r) => [String(r), `${r} px`]),
    String(info.defaults.resolution),
  );
  fill(
    select('format'),
    info.limits.formats.map((f) => [f, f.toUpperCase()]),
    info.defaults.format,
  );
  showStrength();
  showStyle(info);
}

/**
 * @param {HTMLSelectElement} menu
 * @param {[string, string][]} entries value and label
 * @param {string} value the one selected
 */
function fill(menu, entries, value) {
  menu.replaceChildren(...entries.map(([v, label]) => new Option(label, v, false, v === value)));
}

export function showStrength() {
  $('strength-value').textContent = Number(input('strength').value).toFixed(2);
}

/** @param {StudioInfo} info */
export function showStyle(info) {
  const style = info.styles.find((s) => s.id === select('style').value);
  $('style-about').textContent = style ? `${style.description} (${info.texts.license}: ${style.license})` : '';
  $('faces-field').hidden = !style?.portrait;
}

/**
 * Shows the chosen file: a photo (or GIF) as an image, a video as a muted loop.
 * @param {string} url
 * @param {boolean} video
 */
export function showPreview(url, video) {
  showMedia('preview', 'preview-video', url, video);
}

/**
 * Shows `url` in the <img id={image}> or, for a video, the <video id={player}>; the other is emptied and hidden.
 * @param {string} image
 * @param {string} player
 * @param {string | undefined} url
 * @param {boolean} video
 */
function showMedia(image, player, url, video) {
  const [shown, other] = video ? [$(player), img(image)] : [img(image), $(player)];
  other.hidden = true;
  other.removeAttribute('src');
  shown.hidden = false;
  if (url) /** @type {HTMLImageElement | HTMLVideoElement} */ (shown).src = url;
}

/**
 * Shows a result; `beforeUrl` is the photo (or video: `beforeVideo`) it came from (absent for a recent one).
 * @param {StudioInfo} info
 * @param {Blob} blob
 * @param {StudioResult} result
 * @param {{ beforeUrl?: string, beforeVideo?: boolean, name: string }} from
 */
export function showResult(info, blob, result, { beforeUrl, beforeVideo = false, name }) {
  const t = info.texts;
  if (urls.result) URL.revokeObjectURL(urls.result);
  urls.result = URL.createObjectURL(blob);
  const after = img('after');
  after.src = urls.result;
  after.width = result.width;
  after.height = result.height;
  $('before-clip').hidden = !beforeUrl;
  for (const tag of document.querySelectorAll('.tag')) /** @type {HTMLElement} */ (tag).hidden = !beforeUrl;
  $('split').hidden = !beforeUrl;
  showMedia('before', 'before-video', beforeUrl, beforeVideo);
  /** @param {number} ms */
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const { queueMs, processingMs, totalMs } = result.timings;
  $('timings').textContent = `${t.queue} ${s(queueMs)} · ${t.processingTime} ${s(processingMs)} · ${t.total} ${s(totalMs)}`;
  const style = info.styles.find((x) => x.id === result.style)?.name ?? result.style;
  $('meta').textContent = `${style} · ${t.strength} ${result.options.strength.toFixed(2)} · ${result.width}×${result.height} · ${result.format.toUpperCase()}`;
  const faces = result.faces;
  $('note').hidden = !faces;
  if (faces) $('note').textContent = faces.noFace ? t.noFace : `${faces.count} ${t.facesFound}`;
  drawFaces(result);
  const download = /** @type {HTMLAnchorElement} */ ($('download'));
  download.href = urls.result;
  download.download = `${name}-cartoon.${result.format === 'jpeg' ? 'jpg' : result.format}`;
  $('result').hidden = false;
  showSplit();
}

/**
 * The faces found: a box each, and its keypoints (`[x, y]` pairs) as dots, in output pixels.
 * @param {StudioResult} result
 */
function drawFaces(result) {
  const overlay = $('overlay');
  const ns = 'http://www.w3.org/2000/svg';
  overlay.setAttribute('viewBox', `0 0 ${result.width} ${result.height}`);
  overlay.setAttribute('preserveAspectRatio', 'none');
  overlay.replaceChildren();
  for (const box of result.faces?.boxes ?? []) {
    const rect = document.createElementNS(ns, 'rect');
    for (const [k, v] of Object.entries({ x: box.x, y: box.y, width: box.width, height: box.height })) rect.setAttribute(k, String(v));
    overlay.append(rect);
    for (const [x, y] of box.keypoints) {
      const dot = document.createElementNS(ns, 'circle');
      dot.setAttribute('cx', String(x));
      dot.setAttribute('cy', String(y));
      dot.setAttribute('r', String(Math.max(2, result.width / 300)));
      overlay.append(dot);
    }
  }
  showFaces();
}

/** The faces overlay shows when the box is ticked and there is something to show. */
export function showFaces() {
  const overlay = $('overlay');
  overlay.toggleAttribute('hidden', !input('faces').checked || overlay.childElementCount === 0);
}

export function showSplit() {
  const v = Number(input('split').value);
  $('before-clip').style.clipPath = `inset(0 ${100 - v}% 0 0)`;
  $('compare').style.setProperty('--split', `${v}%`);
}

/** @param {string} text */
export function setStatus(text) {
  $('status').textContent = text;
}

/** @param {string} text */
export function showError(text) {
  $('error').textContent = text;
  $('error').hidden = false;
}

export function hideError() {
  $('error').hidden = true;
}

/** @type {string[]} */
let recentUrls = [];

/**
 * The recent strip, newest first; `onPick` shows the one clicked.
 * @param {RecentItem[]} items
 * @param {(item: RecentItem) => void} onPick
 */
export function showRecent(items, onPick) {
  for (const url of recentUrls) URL.revokeObjectURL(url);
  recentUrls = items.map((item) => URL.createObjectURL(item.blob));
  $('recent').replaceChildren(
    ...items.map((item, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      const thumb = document.createElement('img');
      thumb.src = recentUrls[i] ?? '';
      thumb.alt = item.name;
      button.append(thumb);
      button.addEventListener('click', () => onPick(item));
      return button;
    }),
  );
  $('recent-section').hidden = items.length === 0;
}
