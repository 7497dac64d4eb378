/** The community a bot test starts with: one owner, access kept in memory, cancels, and the day's figures (stopped after each test). */
import { afterEach } from 'vitest';
import { Access, type AccessConfig } from '../../src/bots/shared/access/Access.ts';
import { FileAccessStore } from '../../src/bots/shared/access/stores.ts';
import { Cancels } from '../../src/bots/shared/Cancels.ts';
import type { Community } from '../../src/bots/shared/community.ts';
import { silentLogger, type Engine } from '../../src/engine/index.ts';
import type { Metrics } from '../../src/observe/metrics.ts';
import { DailyStats } from '../../src/observe/stats.ts';

export type CommunityMaker = (owner: string, config?: Partial<AccessConfig>) => Community;

/** Makes communities for `owner` ("telegram:1", "discord:2") on `engine`; `countDenials` also reports refusals to the metrics. */
export function communities(engine: () => Engine, metrics: Metrics, { countDenials = false } = {}): CommunityMaker {
  const running: DailyStats[] = [];
  afterEach(() => {
    for (const stats of running.splice(0)) stats.stop();
  });
  return (owner, config = {}) => {
    const stats = new DailyStats(metrics, engine());
    running.push(stats);
    const access = new Access(FileAccessStore.memory(silentLogger), { owners: [owner], allow: [], block: [], dailyLimit: 0, ...config }, silentLogger, countDenials ? metrics.observe : undefined);
    return { access, cancels: new Cancels(), stats };
  };
}
