// ToonBot studio: the page's script. Plain JavaScript (no build step), served as it is.
// The server sends the texts (English or Chinese, by the browser's language), the styles and the
// limits; photos go to POST /api/cartoon and the answer comes back as server-sent events.

const $ = (id) => document.getElementById(id);
const lang = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
const RECENT_MAX = 12;

/** @type {{texts: Record<string,string>, messages: Record<string,string>, styles: {id:string,name:string,description:string,license:string,portrait:boolean}[], defaults: Record<string, any>, limits: Record<string, any>}} */
let info;
/** @type {Blob | undefined} */
let photo;
let photoName = 'photo';
const urls = { photo: '', result: '' };

async function init() {
  try {
    info = await (await fetch(`/api/info?lang=${lang}`)).json();
  } catch {
    showError('The studio is not answering. Is ToonBot still running?');
    return;
  }
  const t = info.texts;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t.title;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t[el.dataset.t] ?? '';

  fill($('style'), info.styles.map((s) => [s.id, s.name]), info.defaults.style);
  const strength = $('strength');
  strength.min = String(info.limits.strength.min);
  strength.max = String(info.limits.strength.max);
  strength.value = String(info.defaults.strength);
  const resolutions = [...new Set([...info.limits.resolutions, info.defaults.resolution])].sort((a, b) => a - b);
  fill($('resolution'), resolutions.map((r) => [String(r), `${r} px`]), String(info.defaults.resolution));
  fill($('format'), info.limits.formats.map((f) => [f, f.toUpperCase()]), info.defaults.format);
  showStrength();
  showStyle();

  $('strength').addEventListener('input', showStrength);
  $('style').addEventListener('change', showStyle);
  $('file').addEventListener('change', () => $('file').files?.[0] && choose($('file').files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith('image/')) ?? e.dataTransfer?.files?.[0];
    if (file) choose(file);
  });
  document.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (file) choose(file);
  });
  $('go').addEventListener('click', () => void cartoonise());
  $('split').addEventListener('input', showSplit);
  $('faces').addEventListener('change', () => $('overlay').toggleAttribute('hidden', !$('faces').checked || !$('overlay').childElementCount));
  $('clear-recent').addEventListener('click', () => void clearRecent());
  await showRecent();
}

function fill(select, entries, value) {
  select.replaceChildren(...entries.map(([v, label]) => new Option(label, v, false, v === value)));
}

function showStrength() {
  $('strength-value').textContent = Number($('strength').value).toFixed(2);
}

function showStyle() {
  const style = info.styles.find((s) => s.id === $('style').value);
  $('style-about').textContent = style ? `${style.description} (${info.texts.license}: ${style.license})` : '';
  $('faces-field').hidden = !style?.portrait;
}

function choose(file) {
  hideError();
  if (file.size > info.limits.maxBytes) {
    showError(info.messages.tooLarge);
    return;
  }
  photo = file;
  photoName = (file.name || 'photo').replace(/\.[^.]*$/, '');
  if (urls.photo) URL.revokeObjectURL(urls.photo);
  urls.photo = URL.createObjectURL(file);
  const preview = $('preview');
  preview.src = urls.photo;
  preview.hidden = false;
  $('go').disabled = false;
}

async function cartoonise() {
  if (!photo) return;
  hideError();
  $('go').disabled = true;
  setStatus(info.texts.uploading);
  const form = new FormData();
  form.append('style', $('style').value);
  form.append('strength', $('strength').value);
  form.append('resolution', $('resolution').value);
  form.append('format', $('format').value);
  if (!$('faces-field').hidden && $('faces').checked) form.append('faces', '1');
  form.append('photo', photo, photoName);
  const before = urls.photo;
  try {
    const res = await fetch(`/api/cartoon?lang=${lang}`, { method: 'POST', body: form, headers: { accept: 'text/event-stream' } });
    if (!res.ok || !res.body) {
      const body = await res.json().catch(() => undefined);
      throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
    }
    await readEvents(res.body, {
      position: ({ position }) => setStatus(position >= 1 ? info.texts.inLine.replace('{n}', String(position)) : info.texts.processing),
      result: (result) => void showResult(result, before),
      error: (error) => {
        throw new Error(error.message);
      },
    });
  } catch (error) {
    setStatus('');
    showError(error instanceof TypeError ? info.texts.offline : error.message);
  } finally {
    $('go').disabled = !photo;
  }
}

/** Reads a text/event-stream body, calling `handlers[event](data)` for each event. */
async function readEvents(body, handlers) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let ended = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
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
      if (!data) continue;
      if (event === 'result' || event === 'error') ended = true;
      handlers[event]?.(JSON.parse(data));
    }
  }
  if (!ended) throw new TypeError('the answer was cut short');
}

function base64Blob(base64, mime) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: mime });
}

async function showResult(result, beforeUrl) {
  const blob = base64Blob(result.image, result.mime);
  setStatus('');
  show(blob, result, beforeUrl);
  await remember(blob, result);
}

/** Shows a result; `beforeUrl` is the photo it came from (absent for a recent one). */
function show(blob, result, beforeUrl) {
  const t = info.texts;
  if (urls.result) URL.revokeObjectURL(urls.result);
  urls.result = URL.createObjectURL(blob);
  $('after').src = urls.result;
  $('after').width = result.width;
  $('after').height = result.height;
  $('before-clip').hidden = !beforeUrl;
  for (const tag of document.querySelectorAll('.tag')) tag.hidden = !beforeUrl;
  $('split').hidden = !beforeUrl;
  if (beforeUrl) $('before').src = beforeUrl;
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const { queueMs, processingMs, totalMs } = result.timings;
  $('timings').textContent = `${t.queue} ${s(queueMs)} · ${t.processingTime} ${s(processingMs)} · ${t.total} ${s(totalMs)}`;
  const style = info.styles.find((x) => x.id === result.style)?.name ?? result.style;
  $('meta').textContent = `${style} · ${t.strength} ${result.options.strength.toFixed(2)} · ${result.width}×${result.height} · ${result.format.toUpperCase()}`;
  const faces = result.faces;
  $('note').hidden = !faces;
  if (faces) $('note').textContent = faces.noFace ? t.noFace : `${faces.count} ${t.facesFound}`;
  drawFaces(result);
  const download = $('download');
  download.href = urls.result;
  download.download = `${photoName}-cartoon.${result.format === 'jpeg' ? 'jpg' : result.format}`;
  $('result').hidden = false;
  showSplit();
}

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
    // Keypoints come as [x, y] pairs.
    for (const [x, y] of box.keypoints ?? []) {
      const dot = document.createElementNS(ns, 'circle');
      dot.setAttribute('cx', String(x));
      dot.setAttribute('cy', String(y));
      dot.setAttribute('r', String(Math.max(2, result.width / 300)));
      overlay.append(dot);
    }
  }
  overlay.toggleAttribute('hidden', !$('faces').checked || overlay.childElementCount === 0);
}

function showSplit() {
  const v = Number($('split').value);
  $('before-clip').style.clipPath = `inset(0 ${100 - v}% 0 0)`;
  $('compare').style.setProperty('--split', `${v}%`);
}

function setStatus(text) {
  $('status').textContent = text;
}

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = false;
}

function hideError() {
  $('error').hidden = true;
}

// Recent results: kept in this browser (IndexedDB), never on the server.

function db() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('toonbot-studio', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('results', { keyPath: 'at' });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function remember(blob, result) {
  try {
    const store = (await db()).transaction('results', 'readwrite').objectStore('results');
    const { image: _image, ...meta } = result;
    await request(store.put({ at: Date.now(), blob, meta, name: photoName }));
    const keys = await request(store.getAllKeys());
    for (const key of keys.slice(0, Math.max(0, keys.length - RECENT_MAX))) await request(store.delete(key));
  } catch {
    // Private windows may refuse storage: the strip is a convenience.
  }
  await showRecent();
}

async function showRecent() {
  let items = [];
  try {
    items = await request((await db()).transaction('results').objectStore('results').getAll());
  } catch {
    return;
  }
  const strip = $('recent');
  for (const img of strip.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  strip.replaceChildren(
    ...items.reverse().map((item) => {
      const button = document.createElement('button');
      button.type = 'button';
      const img = document.createElement('img');
      img.src = URL.createObjectURL(item.blob);
      img.alt = item.name;
      button.append(img);
      button.addEventListener('click', () => {
        photoName = item.name;
        show(item.blob, item.meta, undefined);
      });
      return button;
    }),
  );
  $('recent-section').hidden = items.length === 0;
}

async function clearRecent() {
  try {
    await request((await db()).transaction('results', 'readwrite').objectStore('results').clear());
  } catch {
    // nothing stored
  }
  await showRecent();
}

void init();
