/**
 * The one job runner every front end uses: a place in line before the fetch, the day's allowance
 * spent and given back, the Cancel handle, and errors turned into the user's text the same way.
 * Through a real engine (the built-in look at 512).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Access } from '../../../src/bots/shared/access/Access.ts';
import { FileAccessStore } from '../../../src/bots/shared/access/stores.ts';
import { Cancels, type Cancellable } from '../../../src/bots/shared/Cancels.ts';
import { JobRunner, pressed } from '../../../src/bots/shared/JobRunner.ts';
import { createEngine, ToonError, type Engine, type Logger } from '../../../src/engine/index.ts';
import { errorText } from '../../../src/i18n/index.ts';
import { clipOf, failsWith, fixture } from '../../helpers.ts';

const options = { style: 'toon', resolution: 512, strength: 0.7, format: 'png' as const };

/** A logger that keeps what it is told. */
function recorder(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const none = (): void => undefined;
  return { errors, debug: none, info: none, warn: none, error: (message) => void errors.push(message) };
}

describe('JobRunner', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ queue: { perRequester: 1 } });
  });
  afterAll(() => engine.close());

  /** A runner with a daily limit of `limit` photos, and the ways to look at it. */
  function runner(limit: number) {
    const log = recorder();
    const access = new Access(FileAccessStore.memory(log), { owners: [], allow: [], block: [], dailyLimit: limit }, log);
    const cancels = new Cancels();
    return { run: new JobRunner(engine, 'telegram', log, { access, cancels }), access, cancels, log };
  }

  it('runs a job to its cartoon, the place in line told on the way, the Cancel handle open only meanwhile', async () => {
    const { run, cancels } = runner(0);
    const positions: number[] = [];
    const handles: (Cancellable | undefined)[] = [];
    const result = await run.run({
      requester: 'telegram:1',
      fetch: async () => fixture('astronaut.png'),
      request: (image) => ({ image, options }),
      onPosition: (p) => positions.push(p),
      onHandle: (h) => handles.push(h),
    });
    expect([result.width, result.height, result.format]).toEqual([512, 512, 'png']);
    expect(positions.at(-1)).toBe(0);
    expect(handles).toHaveLength(2);
    expect(handles[1]).toBeUndefined();
    // Closed: its token finds nothing now.
    expect(cancels.press((handles[0] as Cancellable).token, 'telegram:1', false)).toBe('gone');
  });

  it('refuses a sender at their cap before fetching anything, and gives the allowance back', async () => {
    const { run, access } = runner(2);
    let fetches = 0;
    const ticket = engine.reserve('telegram:2');
    try {
      const refused = run.run({
        requester: 'telegram:2',
        fetch: async () => {
          fetches += 1;
          return fixture('coffee.png');
        },
        request: (image) => ({ image, options }),
      });
      await expect(refused).rejects.toMatchObject({ code: 'USER_BUSY' });
    } finally {
      ticket.release();
    }
    expect(fetches).toBe(0);
    // Both photos of the day are still there: two spends succeed, the third is refused.
    await access.spend('telegram:2');
    await access.spend('telegram:2');
    await expect(access.spend('telegram:2')).rejects.toMatchObject({ code: 'DAILY_LIMIT' });
  });

  it("a job run again after a restart (prepaid) spends none of the day's allowance: the killed run spent it", async () => {
    const { run, access } = runner(1);
    await run.run({ requester: 'telegram:9', prepaid: true, fetch: async () => fixture('astronaut.png'), request: (image) => ({ image, options }) });
    // The one photo of the day is still there.
    await access.spend('telegram:9');
    await expect(access.spend('telegram:9')).rejects.toMatchObject({ code: 'DAILY_LIMIT' });
  });

  it('a failed fetch is rethrown as it is, its place in line freed and its photo given back', async () => {
    const { run, access } = runner(1);
    const broken = new ToonError('DOWNLOAD_FAILED', { detail: { reason: 'test' } });
    await expect(run.run({ requester: 'telegram:3', fetch: () => Promise.reject(broken), request: (image: Uint8Array) => ({ image, options }) })).rejects.toBe(broken);
    // The place is free (perRequester 1) and the day's one photo is there again.
    const result = await run.run({ requester: 'telegram:3', fetch: async () => fixture('coffee.png'), request: (image) => ({ image, options }) });
    expect(result.format).toBe('png');
    await expect(access.spend('telegram:3')).rejects.toMatchObject({ code: 'DAILY_LIMIT' });
  });

  it('a press of the Cancel button ends the job as CANCELLED (pressed), with the photo given back', async () => {
    const { run, cancels, access } = runner(1);
    let handle: Cancellable | undefined;
    const job = run.run({
      requester: 'telegram:4',
      onHandle: (h) => (handle ??= h),
      fetch: async () => {
        expect(cancels.press((handle as Cancellable).token, 'telegram:4', false)).toBe('cancelled');
        return fixture('astronaut.png');
      },
      request: (image) => ({ image, options }),
    });
    const error = await job.catch((e: unknown) => e);
    expect(pressed(error)).toBe(true);
    await access.spend('telegram:4');
  });

  it('an outside signal ends the job with its reason', async () => {
    const { run } = runner(0);
    const gone = new AbortController();
    const job = run.run({
      requester: 'web:5',
      signal: gone.signal,
      fetch: async () => {
        gone.abort(new ToonError('CANCELLED', { message: 'The browser went away.' }));
        return fixture('astronaut.png');
      },
      request: (image) => ({ image, options }),
    });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED', message: 'The browser went away.' });
  });

  it('describes errors in the user language, logging only what is our fault', () => {
    const { run, log } = runner(0);
    const busy = run.describe('en', new ToonError('USER_BUSY'));
    expect(busy.error.code).toBe('USER_BUSY');
    expect(busy.text).toMatch(/photos in line/i);
    expect(log.errors).toEqual([]);
    const ours = run.describe('zh', new Error('boom'));
    expect(ours.error.code).toBe('INTERNAL');
    expect(ours.text).not.toMatch(/boom/);
    expect(log.errors).toEqual(['telegram job failed']);
  });

  it('a clip costs its frames times their size in photos: spent from the allowance once its header is read, refused with its cost when more than is left', async () => {
    const { run, access } = runner(3);
    const frame = Buffer.alloc(320 * 320 * 3, 140);
    // 12 frames of 320 x 320: 1.2 MP of work, 2 photos; 30 frames: 4 photos.
    const clipOfFrames = (n: number): Promise<Buffer> => clipOf(new Array<Buffer>(n).fill(frame), 320, 320);
    const [small, large] = [await clipOfFrames(12), await clipOfFrames(30)];
    const clip = (bytes: Buffer) => run.run({ requester: 'telegram:7', fetch: async () => bytes, request: (image) => ({ image, options, clip: {} }) });
    const refused = await failsWith(clip(large), 'DAILY_LIMIT');
    expect(refused.detail).toMatchObject({ limit: 3, cost: 4 });
    expect(errorText('en', refused, { platform: 'telegram', styles: ['toon'], maxMegapixels: 40 })).toMatch(
      /^That clip counts as 4 photos \(its frames times their size\), more than you have left of your 3 for today\. A shorter clip costs less/,
    );
    // Nothing of the allowance was kept for the refused clip: the 2-photo clip fits, then one photo is left.
    await expect(clip(small)).resolves.toMatchObject({ format: 'mp4', clip: { frames: 12 } });
    await access.spend('telegram:7');
    await expect(access.spend('telegram:7')).rejects.toMatchObject({ code: 'DAILY_LIMIT' });
  });
});
