// @ts-check
// Recent results: kept in this browser (IndexedDB), never on the server. One connection for the
// page's life, opened on first use (and again if the browser closes it).

/** @typedef {import('../wire.ts').StudioResult} StudioResult */
/** @typedef {{ at: number, blob: Blob, meta: StudioResult, name: string }} RecentItem */

const RECENT_MAX = 12;
const STORE = 'results';

/** @type {Promise<IDBDatabase> | undefined} */
let connection;

/** @returns {Promise<IDBDatabase>} */
function db() {
  connection ??= new Promise((resolve, reject) => {
    const open = indexedDB.open('toonbot-studio', 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'at' });
    open.onsuccess = () => {
      const opened = open.result;
      // Another tab upgrading, or the browser clearing storage: let go, reopen next time.
      opened.onversionchange = () => forget(opened);
      opened.onclose = () => forget(opened);
      resolve(opened);
    };
    open.onerror = () => reject(open.error);
  });
  connection.catch(() => {
    connection = undefined;
  });
  return connection;
}

/** @param {IDBDatabase} opened */
function forget(opened) {
  opened.close();
  connection = undefined;
}

/**
 * @template T
 * @param {IDBRequest<T>} req
 * @returns {Promise<T>}
 */
function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** @param {IDBTransactionMode} [mode] */
async function store(mode = 'readonly') {
  return (await db()).transaction(STORE, mode).objectStore(STORE);
}

/**
 * Keeps a result (the newest RECENT_MAX stay). Private windows may refuse storage: the strip is a
 * convenience, so that is not an error.
 * @param {Blob} blob
 * @param {StudioResult} meta
 * @param {string} name
 */
export async function remember(blob, meta, name) {
  try {
    const results = await store('readwrite');
    await done(results.put(/** @type {RecentItem} */ ({ at: Date.now(), blob, meta, name })));
    const keys = await done(results.getAllKeys());
    for (const key of keys.slice(0, Math.max(0, keys.length - RECENT_MAX))) await done(results.delete(key));
  } catch {
    // not kept
  }
}

/** @returns {Promise<RecentItem[]>} newest first; none where storage is refused */
export async function recentItems() {
  try {
    /** @type {RecentItem[]} */
    const items = await done((await store()).getAll());
    return items.reverse();
  } catch {
    return [];
  }
}

export async function clearRecent() {
  try {
    await done((await store('readwrite')).clear());
  } catch {
    // nothing stored
  }
}
