/**
 * What a chat bot needs to be run for a community, shared by the bots of a process: who may use
 * it (owners, lists, the daily limit), the Cancel buttons of the photos in hand, and the figures
 * of /stats.
 */
import type { Logger } from '../../engine/index.ts';
import type { StatsFacts } from '../../observe/stats.ts';
import { Access } from './access/Access.ts';
import { FileAccessStore } from './access/stores.ts';
import { Cancels } from './Cancels.ts';

export interface Community {
  access: Access;
  cancels: Cancels;
  /** /stats (absent: the process keeps no metrics, as in some tests). */
  stats?: { facts(): Promise<StatsFacts>; place(place: string | undefined): void };
}

/** No owners, no lists, no limit, kept in memory: a bot started on its own (tests, tools). */
export function openCommunity(log: Logger): Community {
  return { access: new Access(FileAccessStore.memory(log), { owners: [], allow: [], block: [], dailyLimit: 0 }, log), cancels: new Cancels() };
}
