import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsStore } from '../../../src/bots/shared/SettingsStore.ts';
import { recordingLogger, scratchFolder } from '../../helpers.ts';

const scratch = scratchFolder('toonbot-settings-');

describe('SettingsStore', () => {
  it('starts empty when the file does not exist, and creates its folder on the first save', async () => {
    const file = path.join(scratch.path, 'new', 'deeper', 'settings.json');
    const store = await SettingsStore.open(file, recordingLogger());
    expect(store.get(42)).toEqual({});
    await store.set(42, { strength: 0.3 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ '42': { strength: 0.3 } });
  });

  it('merges patches per chat and keeps them across a reopen', async () => {
    const file = path.join(scratch.path, 'merge.json');
    const store = await SettingsStore.open(file, recordingLogger());
    await store.set(-100, { strength: 0.5 });
    await store.set(-100, { style: 'toon-portrait' });
    await store.set(7, { format: 'webp' });
    const reopened = await SettingsStore.open(file, recordingLogger());
    expect(reopened.get(-100)).toEqual({ strength: 0.5, style: 'toon-portrait' });
    expect(reopened.get('7')).toEqual({ format: 'webp' });
  });

  it('hands out copies: changing what get returned changes nothing stored', async () => {
    const store = await SettingsStore.open(path.join(scratch.path, 'copies.json'), recordingLogger());
    await store.set(1, { resolution: 512 });
    const got = store.get(1);
    got.resolution = 2048;
    expect(store.get(1)).toEqual({ resolution: 512 });
  });

  it('keeps every write when many arrive at once (the file ends with the last state)', async () => {
    const file = path.join(scratch.path, 'concurrent.json');
    const store = await SettingsStore.open(file, recordingLogger());
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(i, { resolution: 256 + i })));
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, { resolution: number }>;
    expect(Object.keys(saved)).toHaveLength(20);
    expect(saved['19']).toEqual({ resolution: 275 });
    expect((await readdir(scratch.path)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('sets an unreadable file aside with a warning and starts empty', async () => {
    const file = path.join(scratch.path, 'broken.json');
    await writeFile(file, '{ not json');
    const log = recordingLogger();
    const store = await SettingsStore.open(file, log);
    expect(store.get(1)).toEqual({});
    expect(log.lines).toContain('warn settings file unreadable, starting empty');
    const aside = (await readdir(scratch.path)).filter((f) => f.startsWith('broken.json.unreadable-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(path.join(scratch.path, aside[0] as string), 'utf8')).toBe('{ not json');
  });

  it('reports a save that failed and keeps the last saved state', async () => {
    const file = path.join(scratch.path, 'unsavable.json');
    const store = await SettingsStore.open(file, recordingLogger());
    expect(await store.set(5, { strength: 0.3 })).toEqual({ strength: 0.3 });
    // The temporary file's name is taken by a folder: the next save fails.
    await mkdir(`${file}.tmp`);
    expect(await store.set(5, { strength: 0.9, format: 'webp' })).toBeNull();
    expect(store.get(5)).toEqual({ strength: 0.3 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ '5': { strength: 0.3 } });
  });

  it('refuses a path that is a folder, and moves nothing', async () => {
    const folder = path.join(scratch.path, 'a-folder');
    await mkdir(folder);
    await expect(SettingsStore.open(folder, recordingLogger())).rejects.toThrow(/is not a file/);
    expect((await readdir(scratch.path)).filter((f) => f.startsWith('a-folder'))).toEqual(['a-folder']);
  });
});
