/**
 * The durable line's file: what is written stays written, a crash mid-write costs at most the
 * line being written, and the file stays as small as the jobs in hand.
 */
import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobTrack, Journal } from '../../../src/bots/shared/Journal.ts';
import { recordingLogger, scratchFolder } from '../../helpers.ts';

const folder = scratchFolder('toonbot-journal-');
let n = 0;
const fresh = () => path.join(folder.path, `j${n++}`, 'journal.log');

describe('Journal', () => {
  it('gives back the unfinished jobs of the last run, in order, with their notes; finished ones are gone', async () => {
    const file = fresh();
    const journal = await Journal.open(file, recordingLogger());
    const a = await journal.add('telegram:1:10', { chat: 1, message: 10 });
    const b = await journal.add('telegram:2:20', { chat: 2, message: 20 });
    const c = await journal.add('telegram:1:11', { chat: 1, message: 11 });
    await journal.note(c.id, { status: 5001 });
    await journal.done(b.id);
    // A kill: the file is read by a new run without the old one closing anything.
    const next = await Journal.open(file, recordingLogger());
    expect(next.recovered.map((e) => [e.id, e.key, e.job, e.notes])).toEqual([
      [a.id, 'telegram:1:10', { chat: 1, message: 10 }, {}],
      [c.id, 'telegram:1:11', { chat: 1, message: 11 }, { status: 5001 }],
    ]);
    expect(next.stats()).toMatchObject({ jobs: 2, recovered: 2 });
    // New jobs get ids after the old ones, and a finished key is known (a re-delivered update).
    expect((await next.add('telegram:3:30', {})).id).toBeGreaterThan(c.id);
    expect(next.has('telegram:2:20')).toBe(true);
    expect(next.has('telegram:1:11')).toBe(true);
    expect(next.has('telegram:9:99')).toBe(false);
    await next.close();
    await journal.close();
  });

  it('a line cut short by a crash is skipped and logged; every line before it stands', async () => {
    const file = fresh();
    const journal = await Journal.open(file, recordingLogger());
    await journal.add('k1', { n: 1 });
    await journal.add('k2', { n: 2 });
    await journal.close();
    const whole = await readFile(file, 'utf8');
    // The kill came in the middle of the third line's write.
    const third = (await readFile(file, 'utf8')).split('\n')[1] as string;
    await appendFile(file, third.slice(0, 30));
    const log = recordingLogger();
    const next = await Journal.open(file, log);
    expect(next.recovered.map((e) => e.key)).toEqual(['k1', 'k2']);
    expect(log.lines.filter((l) => l.startsWith('warn journal: skipped damaged lines'))).toHaveLength(1);
    // The torn bytes are gone from the file (compacted at open), so new lines start clean.
    await next.add('k3', { n: 3 });
    await next.close();
    expect((await readFile(file, 'utf8')).startsWith(whole)).toBe(true);
    expect((await Journal.open(file, recordingLogger())).recovered.map((e) => e.key)).toEqual(['k1', 'k2', 'k3']);
  });

  it('a damaged line in the middle (checksum wrong) is skipped, not trusted', async () => {
    const file = fresh();
    const journal = await Journal.open(file, recordingLogger());
    await journal.add('k1', { n: 1 });
    await journal.add('k2', { n: 2 });
    await journal.add('k3', { n: 3 });
    await journal.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[1] = (lines[1] as string).replace('"n":2', '"n":7');
    await writeFile(file, lines.join('\n'));
    const log = recordingLogger();
    const next = await Journal.open(file, log);
    expect(next.recovered.map((e) => e.job)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(log.lines.some((l) => l.startsWith('warn journal: skipped damaged lines'))).toBe(true);
    await next.close();
  });

  it('jobs added at the same moment are all written (one write and fsync for those that wait together)', async () => {
    const file = fresh();
    const journal = await Journal.open(file, recordingLogger());
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => journal.add(`k${i}`, { i })));
    expect(new Set(entries.map((e) => e.id)).size).toBe(50);
    const next = await Journal.open(file, recordingLogger());
    expect(next.recovered.map((e) => e.key)).toEqual(entries.map((e) => e.key));
    await next.close();
    await journal.close();
  });

  it('stays as small as the jobs in hand: thousands of finished jobs leave a file of the live ones', async () => {
    const file = fresh();
    const journal = await Journal.open(file, recordingLogger());
    const keep = await journal.add('keep', { photo: 'x'.repeat(200) });
    for (let i = 0; i < 1500; i++) {
      const e = await journal.add(`k${i}`, { photo: 'x'.repeat(200) });
      await journal.note(e.id, { status: i });
      await journal.done(e.id);
    }
    await journal.close();
    // 4500 lines of ~250 bytes were written; compaction keeps the file to a few hundred lines at most.
    expect((await stat(file)).size).toBeLessThan(600 * 260);
    expect(journal.stats().bytes).toBe((await stat(file)).size);
    const next = await Journal.open(file, recordingLogger());
    expect(next.recovered.map((e) => e.id)).toEqual([keep.id]);
    expect(next.stats().bytes).toBeLessThan(400);
    await next.close();
  });
});

describe('JobTrack', () => {
  it('lets go of a job once all its photos are in a durable line (scale-out), not before', async () => {
    const file = fresh();
    const journal = await Journal.open(file, recordingLogger());
    const album = await Promise.all([journal.add('a1', {}), journal.add('a2', {}), journal.add('a3', {})]);
    const track = new JobTrack(
      journal,
      album.map((e) => e.id),
      recordingLogger(),
    );
    track.handed(3);
    track.handed(3);
    await journal.note(album[0]?.id, {});
    expect(journal.stats().jobs).toBe(3);
    track.handed(3);
    await journal.close();
    expect(journal.stats().jobs).toBe(0);
    expect((await Journal.open(file, recordingLogger())).recovered).toEqual([]);
  });

  it('a journal that cannot be written is logged, and the reply in hand goes on', async () => {
    const file = fresh();
    const journal = await Journal.open(file, recordingLogger());
    const entry = await journal.add('k', {});
    await journal.close();
    // Its folder is gone: every later write fails.
    await rm(path.dirname(file), { recursive: true, force: true });
    const log = recordingLogger();
    const track = new JobTrack(journal, [entry.id], log);
    await expect(track.delivered()).resolves.toBeUndefined();
    expect(log.lines.some((l) => l.startsWith('warn journal: "delivered" was not written'))).toBe(true);
  });
});
