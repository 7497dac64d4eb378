/**
 * Starting the engine's worker threads, from the built files or from the TypeScript source.
 */
import { Worker } from 'node:worker_threads';

/** A thread script beside this file: the TypeScript source when running from source (tsx), else the built file. */
export function threadScript(name: string): URL {
  return new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
}

/**
 * From source, a thread's script is TypeScript: this small script bundles it into JavaScript (or,
 * failing that, registers tsx in the thread), then loads it.
 */
const TS_THREAD_URL = new URL('./tsThread.mjs', import.meta.url);

const YOUNG_GENERATION_MIB = 4;

/** Starts `script` as a worker thread; `data` reaches it as workerData, with `entry`, the script itself. */
export function startThread(script: URL, data: object): Worker {
  // The parent's flags are not passed on (a test runner's `--expose-gc` is refused in a worker).
  const worker = new Worker(script.pathname.endsWith('.ts') ? TS_THREAD_URL : script, {
    workerData: { ...data, entry: script.href },
    execArgv: [],
    // An engine thread's JavaScript objects are few and small (its pixels are typed arrays, outside
    // this heap): a young generation of 4 MiB instead of V8's default 16 MiB semi-spaces holds them,
    // and keeps 18 MiB of resident memory off a bot with two threads (docs/BENCHMARKS.md).
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MIB },
    stdout: false,
    stderr: false,
  });
  worker.unref();
  return worker;
}
