/**
 * The life of a long-running process (the bot, a worker): the stop signal, under a service
 * manager, a terminal or `npm start`.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from './engine/index.ts';

/**
 * Resolves with the first SIGINT or SIGTERM; a second one ends the process at once, by that signal. Under `npm start` the
 * parent is npm, which exits on SIGTERM without passing it on: a parent that goes away counts as
 * a SIGTERM too, so the bot never runs on orphaned.
 */
export function stopRequested(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let requested = false;
    const stop = (reason: string): void => {
      if (requested) {
        logger.warn('second signal: exiting now', { signal: reason });
        // Die of the signal itself (status 130/143 to a shell), as a process without a handler
        // would: process.exit() would first tear down the inference threads, and a thread inside
        // a native model run cannot be torn down safely (the addon aborts the process).
        const signal = reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM';
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
        return;
      }
      requested = true;
      resolve(reason);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    if (process.env.npm_lifecycle_event) {
      // npm runs scripts through `sh -c`: watch npm (the grandparent) as well as the parent.
      const watched = [process.ppid, parentOf(process.ppid)].filter((pid): pid is number => pid !== undefined && pid > 1);
      const watch = setInterval(() => {
        if (!requested && watched.some((pid) => !alive(pid))) {
          clearInterval(watch);
          stop('parent exited');
        }
      }, 500);
      watch.unref();
    }
  });
}

/** The parent of `pid`, where /proc says (Linux); undefined elsewhere. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
