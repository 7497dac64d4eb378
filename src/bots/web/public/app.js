// @ts-check
// ToonBot studio: the page's script. Plain JavaScript modules (no build step), served as they
// are and type-checked against the server's API types (`npm run typecheck`). The server sends the
// texts (English or Chinese, by the browser's language), the styles and the limits; photos go to
// POST /api/cartoon and the answer comes back as server-sent events.

import { base64Blob, fetchInfo, sendPhoto } from './api.js';
import { clearRecent, recentItems, remember } from './recent.js';
import { $, fillControls, hideError, input, select, setStatus, showError, showFaces, showPreview, showRecent, showResult, showSplit, showStrength, showStyle } from './view.js';

/** @typedef {import('../wire.ts').StudioInfo} StudioInfo */

/**
 * The photo chosen, its name without extension, and its object URL (the "before" picture).
 * The job under way, if any, can be cancelled.
 * @type {{ photo: Blob | undefined, name: string, url: string, job?: AbortController }}
 */
const chosen = { photo: undefined, name: 'photo', url: '' };

async function init() {
  /** @type {StudioInfo} */
  let info;
  try {
    info = await fetchInfo();
  } catch {
    showError('The studio is not answering. Is ToonBot still running?');
    return;
  }
  fillControls(info);
  input('strength').addEventListener('input', showStrength);
  select('style').addEventListener('change', () => showStyle(info));
  const file = input('file');
  file.addEventListener('change', () => {
    const picked = file.files?.[0];
    if (picked) choose(info, picked);
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    const picked = files.find((f) => f.type.startsWith('image/')) ?? files[0];
    if (picked) choose(info, picked);
  });
  document.addEventListener('paste', (e) => {
    const picked = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (picked) choose(info, picked);
  });
  $('go').addEventListener('click', () => void cartoonise(info));
  $('cancel').addEventListener('click', () => chosen.job?.abort());
  input('split').addEventListener('input', showSplit);
  input('faces').addEventListener('change', showFaces);
  $('clear-recent').addEventListener('click', () => void clearRecent().then(() => refreshRecent(info)));
  await refreshRecent(info);
}

/**
 * @param {StudioInfo} info
 * @param {File} file
 */
function choose(info, file) {
  hideError();
  if (file.size > info.limits.maxBytes) {
    showError(info.messages.tooLarge);
    return;
  }
  chosen.photo = file;
  chosen.name = (file.name || 'photo').replace(/\.[^.]*$/, '');
  if (chosen.url) URL.revokeObjectURL(chosen.url);
  chosen.url = URL.createObjectURL(file);
  showPreview(chosen.url, file.type.startsWith('video/'));
  /** @type {HTMLButtonElement} */ ($('go')).disabled = false;
}

/** @param {StudioInfo} info */
async function cartoonise(info) {
  const { photo, name, url: beforeUrl } = chosen;
  if (!photo) return;
  const go = /** @type {HTMLButtonElement} */ ($('go'));
  hideError();
  go.disabled = true;
  const job = new AbortController();
  chosen.job = job;
  $('cancel').hidden = false;
  setStatus(info.texts.uploading);
  const form = new FormData();
  for (const field of ['style', 'resolution', 'format']) form.append(field, select(field).value);
  form.append('strength', input('strength').value);
  if (!$('faces-field').hidden && input('faces').checked) form.append('faces', '1');
  form.append('photo', photo, name);
  try {
    const { image, ...result } = await sendPhoto(
      form,
      (position) => setStatus(position >= 1 ? info.texts.inLine.replace('{n}', String(position)) : info.texts.processing),
      job.signal,
      ({ frame, frames }) => setStatus(info.texts.drawingFrame.replace('{n}', String(frame)).replace('{of}', String(frames))),
    );
    const blob = base64Blob(image, result.mime);
    setStatus('');
    showResult(info, blob, result, { beforeUrl, beforeVideo: photo.type.startsWith('video/'), name });
    await remember(blob, result, name);
    await refreshRecent(info);
  } catch (error) {
    if (job.signal.aborted) setStatus(info.texts.cancelled);
    else {
      setStatus('');
      showError(error instanceof TypeError ? info.texts.offline : error instanceof Error ? error.message : String(error));
    }
  } finally {
    delete chosen.job;
    $('cancel').hidden = true;
    go.disabled = !chosen.photo;
  }
}

/** @param {StudioInfo} info */
async function refreshRecent(info) {
  showRecent(await recentItems(), (item) => showResult(info, item.blob, item.meta, { name: item.name }));
}

void init();
