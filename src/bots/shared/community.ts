/**
 * What a chat bot needs to be run for a community, shared by the bots of a process: who may use
 * it (owners, lists, the daily limit), the Cancel buttons of the photos in hand, and the figures
 * of /stats.
 */
import type { JobEvent, Logger } from '../../engine/index.ts';
import type { StatsFacts } from '../../observe/stats.ts';
import { Access, type AccessConfig } from './access/Access.ts';
import { FileAccessStore, RedisAccessStore } from './access/stores.ts';
import { Cancels } from './Cancels.ts';
import type { Journal } from './Journal.ts';

export interface Community {
  access: Access;
  cancels: Cancels;
  /** The durable line of the embedded mode (absent: scale-out, where Redis keeps the line; tests). */
  journal?: Journal;
  /** /stats (absent: the process keeps no metrics, as in some tests). */
  stats?: { facts(): Promise<StatsFacts>; place(place: string | undefined): void };
}

/** No owners, no lists, no limit, kept in memory: a bot started on its own (tests, tools). */
export function openCommunity(log: Logger): Community {
  return { access: new Access(FileAccessStore.memory(log), { owners: [], allow: [], block: [], dailyLimit: 0 }, log), cancels: new Cancels() };
}

/**
 * The process's community controls from its configuration: the lists in Redis when the deployment
 * has one (every bot process sees the same), else in the access file.
 * @throws Error naming the access file when it cannot be read as lists
 */
export async function communityFrom(
  config: AccessConfig & { path: string },
  redisUrl: string | undefined,
  log: Logger,
  observe: (event: JobEvent) => void,
  stats: Community['stats'],
): Promise<Community> {
  const store = redisUrl ? new RedisAccessStore(redisUrl) : await FileAccessStore.open(config.path, log);
  if (config.owners.length === 0) log.info('no TOONBOT_OWNERS set: nobody can use the owner commands (block, allow, stats)');
  return { access: new Access(store, config, log, observe), cancels: new Cancels(), ...(stats ? { stats } : {}) };
}
