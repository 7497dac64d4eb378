/**
 * Collecting a finished job's frames in the engine's threads.
 *
 * A job's pixels live outside V8's heap: decoded frames, the graph's input and output, crops,
 * detector tensors, several MiB each at 1024 and up. V8 frees them only when it collects the small
 * objects that hold them, which it does when its own heap fills (rarely: the heap holds little else)
 * or when this outside memory has grown by some 64 MiB since its last collection. So each thread
 * carried tens of MiB of finished jobs' frames into the next job: peak RSS of a bot serving
 * 1024 px photos one after another grew from 382 MiB after the first job to 495 MiB after the
 * fifth, against 450 MiB with a collection when the thread falls idle (docs/BENCHMARKS.md).
 *
 * The collection is V8's own `gc`, which Node exposes only under `--expose-gc`; a worker thread
 * takes no such flag, so the thread sets it itself (a process-wide V8 flag that changes nothing
 * but the presence of that function). Where that fails, threads run as before.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Outside memory below which a collection is not worth its few milliseconds. */
const WORTH_BYTES = 8 << 20;

let collect: (() => void) | undefined;
let looked = false;

function collector(): (() => void) | undefined {
  if (!looked) {
    looked = true;
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      if (typeof gc === 'function') collect = gc as () => void;
    } catch {
      collect = undefined;
    }
  }
  return collect;
}

/**
 * After the current message is answered (the answer goes out first), collects the finished jobs'
 * memory if the thread is then idle and holds enough of it.
 */
export function sweepWhenIdle(idle: () => boolean): void {
  setImmediate(() => {
    if (!idle() || process.memoryUsage().arrayBuffers < WORTH_BYTES) return;
    collector()?.();
  });
}
