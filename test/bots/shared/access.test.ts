/**
 * The operators' lists and the daily limit: the file store (kept across restarts, written whole,
 * a corrupt file refused by name), the rules (owners, seeds, allow list, places), and the Redis
 * store shared by two bot processes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Access, nextUtcMidnight, utcDay } from '../../../src/bots/shared/access/Access.ts';
import { FileAccessStore, RedisAccessStore } from '../../../src/bots/shared/access/stores.ts';
import { ConfigError, parseConfig } from '../../../src/config.ts';
import { silentLogger, type JobEvent } from '../../../src/engine/index.ts';
import { startRedis, type RedisServer } from '../../../dev/redis.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-access-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rules = { owners: ['telegram:1'], allow: [], block: [], dailyLimit: 0 };
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );

describe('the access file', () => {
  it('keeps the lists across a restart; a write left half-done (the .tmp) changes nothing; a corrupt file stops the start, naming it', async () => {
    const file = path.join(dir, 'a', 'access.json');
    const first = new Access(await FileAccessStore.open(file, silentLogger), rules, silentLogger);
    await first.change('telegram:1', 'block', 'telegram:2', true);
    await first.change('telegram:1', 'block', 'telegram:chat:-100', true);
    await first.close();
    // A process killed while writing leaves at most the temporary file.
    await writeFile(`${file}.tmp`, '{"allow": [], "blo');
    const again = new Access(await FileAccessStore.open(file, silentLogger), rules, silentLogger);
    expect(await codeOf(again.check({ user: 'telegram:2' }))).toBe('NOT_AVAILABLE');
    expect(await codeOf(again.check({ user: 'telegram:3', place: 'telegram:chat:-100' }))).toBe('NOT_AVAILABLE');
    expect(await codeOf(again.check({ user: 'telegram:3' }))).toBe('ok');
    expect(JSON.parse(await readFile(file, 'utf8')).block).toEqual(['telegram:2', 'telegram:chat:-100']);

    await writeFile(file, '{"allow": [], "blo');
    await expect(FileAccessStore.open(file, silentLogger)).rejects.toThrow(`The access file ${file} is not valid JSON.`);
    await writeFile(file, '{"allow": 3}');
    await expect(FileAccessStore.open(file, silentLogger)).rejects.toThrow(/has no allow and block lists.*TOONBOT_ACCESS_PATH/);
  });
});

describe('the rules', () => {
  it('owners pass everything; an allow list admits only its users and places; refusals are counted and said once a day in private only', async () => {
    const refused: JobEvent[] = [];
    const access = new Access(FileAccessStore.memory(silentLogger), { ...rules, allow: ['telegram:chat:-5', 'telegram:7'], block: ['telegram:8'] }, silentLogger, (e) => refused.push(e));
    expect(await codeOf(access.check({ user: 'telegram:1', place: 'telegram:chat:-9' }))).toBe('ok');
    expect(await codeOf(access.check({ user: 'telegram:7' }))).toBe('ok');
    expect(await codeOf(access.check({ user: 'telegram:6', place: 'telegram:chat:-5' }))).toBe('ok');
    // Blocked wins over allowed.
    expect(await codeOf(access.check({ user: 'telegram:8', place: 'telegram:chat:-5' }))).toBe('NOT_AVAILABLE');
    const told = async (sender: { user: string; place?: string }) => access.check(sender).catch((e: { detail: { notify: boolean } }) => e.detail.notify);
    expect(await told({ user: 'telegram:6' })).toBe(true);
    expect(await told({ user: 'telegram:6' })).toBe(false);
    expect(await told({ user: 'telegram:9', place: 'telegram:chat:-9' })).toBe(false);
    expect(refused.map((e) => e.outcome)).toEqual(['NOT_AVAILABLE', 'NOT_AVAILABLE', 'NOT_AVAILABLE', 'NOT_AVAILABLE']);
    // Only owners change lists, and only with ids.
    expect(await codeOf(access.change('telegram:7', 'block', 'telegram:6', true))).toBe('OWNERS_ONLY');
    expect(await codeOf(access.change('telegram:1', 'block', 'bob', true))).toBe('INVALID_OPTION');
  });

  it('the daily limit: spent per photo, given back on failure, reset at midnight UTC; owners exempt', async () => {
    const store = FileAccessStore.memory(silentLogger);
    const access = new Access(store, { ...rules, dailyLimit: 2 }, silentLogger);
    const giveBack = await access.spend('telegram:5');
    await access.spend('telegram:5');
    const refusal = await access.spend('telegram:5').catch((e: { code: string; detail: { limit: number; resetAt: number } }) => e);
    expect(refusal).toMatchObject({ code: 'DAILY_LIMIT', detail: { limit: 2, resetAt: nextUtcMidnight() } });
    await giveBack();
    await giveBack();
    await access.spend('telegram:5');
    expect(await codeOf(access.spend('telegram:5'))).toBe('DAILY_LIMIT');
    for (let i = 0; i < 5; i += 1) await access.spend('telegram:1');
    // Another day: counted afresh.
    expect(await store.take('telegram:5', '2099-01-01', 2)).toBe(true);
    expect(utcDay(Date.UTC(2026, 11, 1, 23, 59))).toBe('2026-12-01');
    expect(nextUtcMidnight(Date.UTC(2026, 11, 1, 23, 59))).toBe(Date.UTC(2026, 11, 2));
  });

  it('the configuration takes platform ids and refuses anything else, by name', () => {
    const env = { TOONBOT_OWNERS: 'telegram:1, discord:22', TOONBOT_BLOCK: 'telegram:chat:-100,discord:guild:3', TOONBOT_DAILY_LIMIT: '20' };
    expect(parseConfig(env).access).toMatchObject({ owners: ['telegram:1', 'discord:22'], block: ['telegram:chat:-100', 'discord:guild:3'], allow: [], dailyLimit: 20 });
    expect(() => parseConfig({ TOONBOT_OWNERS: '@alice' })).toThrow(ConfigError);
    expect(() => parseConfig({ TOONBOT_OWNERS: 'telegram:chat:-100' })).toThrow(/TOONBOT_OWNERS/);
  });
});

describe('the lists in Redis (scale-out: several bot processes)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a block made through one process is honoured by the other at once, and the daily count is shared', async () => {
    const one = new Access(new RedisAccessStore(redis.url), { ...rules, dailyLimit: 1 }, silentLogger);
    const two = new Access(new RedisAccessStore(redis.url), { ...rules, dailyLimit: 1 }, silentLogger);
    try {
      expect(await codeOf(two.check({ user: 'discord:44' }))).toBe('ok');
      await one.change('telegram:1', 'block', 'discord:44', true);
      // Read from Redis at each check, not from a cache: the very next photo is refused.
      expect(await codeOf(two.check({ user: 'discord:44' }))).toBe('NOT_AVAILABLE');
      await one.spend('discord:45');
      expect(await codeOf(two.spend('discord:45'))).toBe('DAILY_LIMIT');
      // A clip's cost is taken whole or not at all, and given back whole.
      const three = new Access(new RedisAccessStore(redis.url), { ...rules, dailyLimit: 5 }, silentLogger);
      const giveBack = await three.spend('discord:47', 4);
      expect(await codeOf(three.spend('discord:47', 2))).toBe('DAILY_LIMIT');
      await giveBack();
      await three.spend('discord:47', 5);
      expect(await codeOf(three.spend('discord:47'))).toBe('DAILY_LIMIT');
      await three.close();
      await two.change('telegram:1', 'block', 'discord:44', false);
      expect(await codeOf(one.check({ user: 'discord:44' }))).toBe('ok');
      // Redis away: the photo gets the "send it again shortly" answer, never silence.
      await redis.stop();
      expect(await codeOf(one.check({ user: 'discord:44' }))).toBe('UNAVAILABLE');
      expect(await codeOf(one.spend('discord:46'))).toBe('UNAVAILABLE');
    } finally {
      await one.close();
      await two.close();
    }
  });
});
