/**
 * Starting the engine's worker threads, from the built files or from the TypeScript source.
 */
import { Worker } from 'node:worker_threads';

/** A thread script beside this file: the TypeScript source when running from source (tsx), else the built file. */
export function threadScript(name: string): URL {
  return new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
}

/**
 * From source, a thread needs tsx's loader of its own (loader hooks are per thread, and neither
 * `npx toonbot` nor a test runner passes them on): this small script registers it, then loads the
 * thread's own script.
 */
const TS_THREAD_URL = new URL('./tsThread.mjs', import.meta.url);

/** Starts `script` as a worker thread; `data` reaches it as workerData, with `entry`, the script itself. */
export function startThread(script: URL, data: object): Worker {
  // The parent's flags are not passed on (a test runner's `--expose-gc` is refused in a worker).
  const worker = new Worker(script.pathname.endsWith('.ts') ? TS_THREAD_URL : script, { workerData: { ...data, entry: script.href }, execArgv: [], stdout: false, stderr: false });
  worker.unref();
  return worker;
}
