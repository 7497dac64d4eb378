import { describe, expect, it } from 'vitest';
import { JobQueue, ToonError } from '../../src/engine/expert.ts';
import { deferred, failsWith, tick } from '../helpers.ts';

/** A job whose task waits until the test releases it, and records when it ran. */
function gatedJob(queue: JobQueue, requester: string, log: string[], name: string, extra: { signal?: AbortSignal; deadlineMs?: number } = {}) {
  const gate = deferred<string>();
  const positions: number[] = [];
  let ran = false;
  const result = queue.submit(
    async ({ signal }) => {
      ran = true;
      log.push(`start ${name}`);
      const value = await gate.promise;
      log.push(`end ${name}`);
      signal.throwIfAborted();
      return value;
    },
    { requester, onPosition: (p) => positions.push(p), ...extra },
  );
  result.catch(() => undefined);
  return { result, gate, positions, ran: () => ran };
}

/** Three users' gated jobs a, b and c in line, in that order, once the first has started. */
async function threeUsers(queue: JobQueue) {
  const log: string[] = [];
  const jobs = { a: gatedJob(queue, 'u1', log, 'a'), b: gatedJob(queue, 'u2', log, 'b'), c: gatedJob(queue, 'u3', log, 'c') };
  await tick();
  return { log, ...jobs };
}

describe('JobQueue', () => {
  it('runs jobs one at a time, first come first served', async () => {
    const queue = new JobQueue();
    const { log, a, b, c } = await threeUsers(queue);
    expect(log).toEqual(['start a']);
    a.gate.resolve('A');
    await expect(a.result).resolves.toBe('A');
    await tick();
    expect(log).toEqual(['start a', 'end a', 'start b']);
    b.gate.resolve('B');
    c.gate.resolve('C');
    await expect(Promise.all([b.result, c.result])).resolves.toEqual(['B', 'C']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it("reports each waiting job's place in line as the line moves, then 0 when it starts", async () => {
    const queue = new JobQueue();
    const { a, b, c } = await threeUsers(queue);
    expect(a.positions).toEqual([0]);
    expect(b.positions).toEqual([1]);
    expect(c.positions).toEqual([2]);
    a.gate.resolve('');
    await a.result;
    await tick();
    expect(b.positions).toEqual([1, 0]);
    expect(c.positions).toEqual([2, 1]);
    b.gate.resolve('');
    c.gate.resolve('');
    await Promise.all([b.result, c.result]);
    expect(c.positions).toEqual([2, 1, 0]);
  });

  it('refuses with QUEUE_FULL once the waiting line is at its bound', async () => {
    const queue = new JobQueue({ maxWaiting: 2 });
    const log: string[] = [];
    const running = gatedJob(queue, 'u1', log, 'run');
    await tick();
    const w1 = gatedJob(queue, 'u2', log, 'w1');
    const w2 = gatedJob(queue, 'u3', log, 'w2');
    await failsWith(
      queue.submit(async () => 'never', { requester: 'u4' }),
      'QUEUE_FULL',
    );
    expect(queue.stats()).toMatchObject({ waiting: 2, running: 1 });
    running.gate.resolve('');
    await running.result;
    await tick();
    // A place came free: the next job is accepted again.
    const w3 = gatedJob(queue, 'u4', log, 'w3');
    for (const j of [w1, w2, w3]) j.gate.resolve('');
    await Promise.all([w1.result, w2.result, w3.result]);
  });

  it('with no waiting allowed, still runs a job when the accelerator is free', async () => {
    const queue = new JobQueue({ maxWaiting: 0 });
    const log: string[] = [];
    const a = gatedJob(queue, 'u1', log, 'a');
    await failsWith(
      queue.submit(async () => 'never', { requester: 'u2' }),
      'QUEUE_FULL',
    );
    a.gate.resolve('A');
    await expect(a.result).resolves.toBe('A');
    await expect(queue.submit(async () => 'B', { requester: 'u2' })).resolves.toBe('B');
  });

  it('caps what one requester may have waiting or running, and frees the slot when a job ends', async () => {
    const queue = new JobQueue({ perRequester: 2 });
    const log: string[] = [];
    const a = gatedJob(queue, 'alice', log, 'a');
    const b = gatedJob(queue, 'alice', log, 'b');
    const error = await failsWith(
      queue.submit(async () => 'x', { requester: 'alice' }),
      'USER_BUSY',
    );
    expect(error.message).toMatch(/already have photos in line/);
    // Someone else is not affected.
    const c = gatedJob(queue, 'bob', log, 'c');
    expect(queue.heldBy('alice')).toBe(2);
    a.gate.resolve('');
    await a.result;
    expect(queue.heldBy('alice')).toBe(1);
    const d = gatedJob(queue, 'alice', log, 'd');
    for (const j of [b, c, d]) j.gate.resolve('');
    await Promise.all([b.result, c.result, d.result]);
    expect(queue.heldBy('alice')).toBe(0);
  });

  it('takes an aborted job out of the line at once; its task never runs and the others move up', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const a = gatedJob(queue, 'u1', log, 'a');
    const controller = new AbortController();
    const b = gatedJob(queue, 'u2', log, 'b', { signal: controller.signal });
    const c = gatedJob(queue, 'u3', log, 'c');
    await tick();
    expect(queue.stats().waiting).toBe(2);
    controller.abort();
    await failsWith(b.result, 'CANCELLED');
    expect(queue.stats().waiting).toBe(1);
    expect(c.positions).toEqual([2, 1]);
    expect(queue.heldBy('u2')).toBe(0);
    a.gate.resolve('');
    c.gate.resolve('');
    await Promise.all([a.result, c.result]);
    expect(b.ran()).toBe(false);
    expect(log).toEqual(['start a', 'end a', 'start c', 'end c']);
    expect(queue.stats()).toMatchObject({ done: 2, cancelled: 1, failed: 0 });
  });

  it('refuses a job whose signal is already aborted', async () => {
    const queue = new JobQueue();
    await failsWith(
      queue.submit(async () => 1, { requester: 'u', signal: AbortSignal.abort() }),
      'CANCELLED',
    );
    expect(queue.stats().waiting).toBe(0);
  });

  it('times out a waiting job at its deadline and removes it from the line', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const a = gatedJob(queue, 'u1', log, 'a');
    const b = gatedJob(queue, 'u2', log, 'b', { deadlineMs: 30 });
    await failsWith(b.result, 'TIMEOUT');
    expect(queue.stats().waiting).toBe(0);
    a.gate.resolve('');
    await a.result;
    expect(b.ran()).toBe(false);
  });

  it("answers a running job's caller at its deadline, but keeps the slot until the work returns", async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const slow = gatedJob(queue, 'u1', log, 'slow', { deadlineMs: 30 });
    const next = gatedJob(queue, 'u2', log, 'next');
    await failsWith(slow.result, 'TIMEOUT');
    await tick();
    // The native work is still going: nothing else may start on the accelerator.
    expect(log).toEqual(['start slow']);
    expect(queue.stats().running).toBe(1);
    slow.gate.resolve('late');
    next.gate.resolve('N');
    await expect(next.result).resolves.toBe('N');
    expect(log).toEqual(['start slow', 'end slow', 'start next', 'end next']);
    expect(queue.stats()).toMatchObject({ done: 1, failed: 1 });
  });

  it('never lets a job end in silence: a throwing task rejects with a ToonError', async () => {
    const queue = new JobQueue();
    const error = await failsWith(
      queue.submit(
        async () => {
          throw new Error('native crash');
        },
        { requester: 'u' },
      ),
      'INTERNAL',
    );
    expect((error.cause as Error).message).toBe('native crash');
    const own = new ToonError('CORRUPT_IMAGE');
    await expect(queue.submit(async () => Promise.reject(own), { requester: 'u' })).rejects.toBe(own);
    expect(queue.stats()).toMatchObject({ failed: 2, done: 0 });
  });

  it('keeps going when a position callback throws', async () => {
    const queue = new JobQueue();
    const result = await queue.submit(async () => 'fine', {
      requester: 'u',
      onPosition: () => {
        throw new Error('edit failed');
      },
    });
    expect(result).toBe('fine');
  });

  it('reports waiting, running, done, failed and latency percentiles', async () => {
    const queue = new JobQueue();
    expect(queue.stats()).toEqual({ waiting: 0, work: 0, reserved: 0, running: 0, finishing: 0, done: 0, failed: 0, cancelled: 0, p50: null, p95: null });
    for (let i = 0; i < 4; i += 1) await queue.submit(async () => i, { requester: 'u' });
    const stats = queue.stats();
    expect(stats.done).toBe(4);
    expect(stats.p50).toBeGreaterThanOrEqual(0);
    expect(stats.p95).toBeGreaterThanOrEqual(stats.p50 as number);
  });

  it('on close, refuses new jobs and waits for the accepted ones', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const a = gatedJob(queue, 'u1', log, 'a');
    const b = gatedJob(queue, 'u2', log, 'b');
    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await failsWith(
      queue.submit(async () => 1, { requester: 'u3' }),
      'SHUTTING_DOWN',
    );
    await tick();
    expect(closed).toBe(false);
    a.gate.resolve('');
    b.gate.resolve('');
    await closing;
    expect(closed).toBe(true);
    await expect(Promise.all([a.result, b.result])).resolves.toEqual(['', '']);
  });

  it('runs up to `concurrency` jobs at once when configured for more accelerators', async () => {
    const queue = new JobQueue({ concurrency: 2 });
    const log: string[] = [];
    const jobs = ['a', 'b', 'c'].map((n, i) => gatedJob(queue, `u${i}`, log, n));
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    for (const j of jobs) j.gate.resolve('');
    await Promise.all(jobs.map((j) => j.result));
  });

  it('validates its limits', () => {
    expect(() => new JobQueue({ concurrency: 0 })).toThrow('Expected an integer >= 1 for concurrency, got 0');
    expect(() => new JobQueue({ perRequester: 1.5 })).toThrow(/perRequester/);
  });

  it('holds a reserved place against the line and the requester before the job exists', async () => {
    const queue = new JobQueue({ maxWaiting: 1, perRequester: 2 });
    const log: string[] = [];
    const running = gatedJob(queue, 'a', log, 'running');
    await tick();
    const ticket = queue.reserve('b');
    expect(queue.stats()).toMatchObject({ reserved: 1, waiting: 0, running: 1 });
    // The one waiting place is held: nobody else gets in while b downloads.
    await failsWith(
      queue.submit(async () => 'x', { requester: 'c' }),
      'QUEUE_FULL',
    );
    expect(() => queue.reserve('c')).toThrow(expect.objectContaining({ code: 'QUEUE_FULL' }));
    const result = ticket.submit(async () => 'b done');
    expect(queue.stats()).toMatchObject({ reserved: 0, waiting: 1 });
    running.gate.resolve('a done');
    await expect(result).resolves.toBe('b done');
    await expect(running.result).resolves.toBe('a done');
    // Used once: a second submit is refused, and release after use gives nothing back twice.
    await failsWith(
      ticket.submit(async () => 'again'),
      'INTERNAL',
    );
    ticket.release();
    expect(queue.heldBy('b')).toBe(0);
  });

  it('counts reservations in the per-requester cap, and a released one frees its place', async () => {
    const queue = new JobQueue({ perRequester: 2 });
    const first = queue.reserve('u');
    const second = queue.reserve('u');
    expect(() => queue.reserve('u')).toThrow(expect.objectContaining({ code: 'USER_BUSY' }));
    await failsWith(
      queue.submit(async () => 1, { requester: 'u' }),
      'USER_BUSY',
    );
    first.release();
    first.release();
    expect(queue.heldBy('u')).toBe(1);
    await expect(second.submit(async () => 2)).resolves.toBe(2);
    expect(queue.heldBy('u')).toBe(0);
    expect(queue.stats().reserved).toBe(0);
  });

  it('refuses a reservation once closing, and a reserved job submitted after close', async () => {
    const queue = new JobQueue();
    const ticket = queue.reserve('u');
    await queue.close();
    expect(() => queue.reserve('v')).toThrow(expect.objectContaining({ code: 'SHUTTING_DOWN' }));
    await failsWith(
      ticket.submit(async () => 1),
      'SHUTTING_DOWN',
    );
    expect(queue.heldBy('u')).toBe(0);
  });

  it('cancelAll answers every waiting and running job at once with the reason given', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const running = gatedJob(queue, 'a', log, 'running');
    const waiting = gatedJob(queue, 'b', log, 'waiting');
    await tick();
    queue.cancelAll(new ToonError('SHUTTING_DOWN'));
    await failsWith(running.result, 'SHUTTING_DOWN');
    await failsWith(waiting.result, 'SHUTTING_DOWN');
    expect(waiting.ran()).toBe(false);
    expect(queue.stats()).toMatchObject({ waiting: 0 });
    // The running job's native work still holds the slot until it returns.
    expect(queue.stats().running).toBe(1);
    running.gate.resolve('late');
    await tick();
    expect(queue.stats().running).toBe(0);
  });

  describe('turns: a long job gives the line to waiting jobs between its parts', () => {
    /** A job of `parts` parts, each waiting for the test's word; records when each part runs and how many tasks ever ran at once. */
    function partedJob(queue: JobQueue, log: string[], parts: number, signal?: AbortSignal) {
      const gates = Array.from({ length: parts }, () => deferred());
      const result = queue.submit(
        async ({ turn }) => {
          for (const [k, gate] of gates.entries()) {
            if (k > 0) await turn?.();
            log.push(`clip part ${k + 1}`);
            await gate.promise;
          }
          return 'clip';
        },
        { requester: 'clipper', ...(signal ? { signal } : {}) },
      );
      result.catch(() => undefined);
      return { result, gates };
    }

    it('a photo submitted during a part runs before the next part, then the long job goes on', async () => {
      const queue = new JobQueue();
      const log: string[] = [];
      const clip = partedJob(queue, log, 3);
      await tick();
      const photo = gatedJob(queue, 'u1', log, 'photo');
      await tick();
      expect(log).toEqual(['clip part 1']);
      clip.gates[0]?.resolve();
      await tick();
      expect(log).toEqual(['clip part 1', 'start photo']);
      expect(queue.stats()).toMatchObject({ running: 2, waiting: 0 });
      photo.gate.resolve('P');
      await expect(photo.result).resolves.toBe('P');
      await tick();
      expect(log).toEqual(['clip part 1', 'start photo', 'end photo', 'clip part 2']);
      // Nobody waits: the next part follows at once, without leaving the slot.
      clip.gates[1]?.resolve();
      await tick();
      expect(log.at(-1)).toBe('clip part 3');
      clip.gates[2]?.resolve();
      await expect(clip.result).resolves.toBe('clip');
      expect(queue.stats()).toMatchObject({ running: 0, waiting: 0, done: 2 });
    });

    it('never runs two tasks at once, and a job cancelled while waiting for its turn ends at once and frees the line', async () => {
      const queue = new JobQueue();
      const log: string[] = [];
      const cancel = new AbortController();
      const clip = partedJob(queue, log, 2, cancel.signal);
      await tick();
      const photo = gatedJob(queue, 'u1', log, 'photo');
      const later = gatedJob(queue, 'u2', log, 'later');
      clip.gates[0]?.resolve();
      await tick();
      expect(log).toEqual(['clip part 1', 'start photo']);
      cancel.abort();
      await failsWith(clip.result, 'CANCELLED');
      expect(log).toEqual(['clip part 1', 'start photo']);
      photo.gate.resolve('P');
      later.gate.resolve('L');
      await expect(Promise.all([photo.result, later.result])).resolves.toEqual(['P', 'L']);
      await queue.close();
      expect(log).toEqual(['clip part 1', 'start photo', 'end photo', 'start later', 'end later']);
      expect(queue.stats()).toMatchObject({ running: 0, waiting: 0, cancelled: 1, done: 2 });
    });
  });

  describe('release: a job done with the accelerator finishes beside the next one', () => {
    /** A job that draws until `drawn`, releases its slot, and encodes until `encoded`. */
    function twoStageJob(queue: JobQueue, requester: string, log: string[], name: string) {
      const drawn = deferred();
      const encoded = deferred<string>();
      const result = queue.submit(
        async ({ release }) => {
          log.push(`draw ${name}`);
          await drawn.promise;
          release?.();
          release?.();
          log.push(`encode ${name}`);
          return encoded.promise;
        },
        { requester },
      );
      result.catch(() => undefined);
      return { result, drawn, encoded };
    }

    it("gives the slot to the next job while it encodes; its place in the line's bound stays taken until it ends", async () => {
      const queue = new JobQueue({ maxWaiting: 2 });
      const log: string[] = [];
      const a = twoStageJob(queue, 'u1', log, 'a');
      const b = twoStageJob(queue, 'u2', log, 'b');
      const c = twoStageJob(queue, 'u3', log, 'c');
      await tick();
      expect(log).toEqual(['draw a']);
      a.drawn.resolve();
      await tick();
      // a encodes while b draws; a released twice, and c still waits: the second call gave nothing away.
      expect(log).toEqual(['draw a', 'encode a', 'draw b']);
      expect(queue.stats()).toMatchObject({ running: 1, finishing: 1, waiting: 1 });
      // The bound (1 running + 2 waiting) still counts a: a fourth job is refused until a ends.
      await failsWith(
        queue.submit(async () => 'x', { requester: 'u4' }),
        'QUEUE_FULL',
      );
      a.encoded.resolve('A');
      await expect(a.result).resolves.toBe('A');
      await tick();
      expect(log).toEqual(['draw a', 'encode a', 'draw b']);
      const d = queue.submit(async () => 'D', { requester: 'u4' });
      b.drawn.resolve();
      await tick();
      expect(log).toEqual(['draw a', 'encode a', 'draw b', 'encode b', 'draw c']);
      c.drawn.resolve();
      for (const job of [b, c]) job.encoded.resolve('done');
      await expect(Promise.all([b.result, c.result, d])).resolves.toEqual(['done', 'done', 'D']);
      expect(queue.stats()).toMatchObject({ running: 0, finishing: 0, waiting: 0, done: 4 });
    });

    it('on close, waits for a job that gave its slot back and is still encoding', async () => {
      const queue = new JobQueue();
      const log: string[] = [];
      const a = twoStageJob(queue, 'u1', log, 'a');
      await tick();
      a.drawn.resolve();
      await tick();
      let closed = false;
      const closing = queue.close().then(() => (closed = true));
      await tick();
      expect(closed).toBe(false);
      a.encoded.resolve('A');
      await closing;
      await expect(a.result).resolves.toBe('A');
    });
  });

  describe('weight: a clip takes places by its work', () => {
    it('alone in an idle line it always gets in, whatever its weight; while it runs, its sender has no other place and the line counts its work', async () => {
      const queue = new JobQueue({ maxWaiting: 4, perRequester: 2 });
      const log: string[] = [];
      const gate = deferred<string>();
      const clip = queue.submit(async () => gate.promise, { requester: 'clipper', weight: 40 });
      await tick();
      expect(queue.stats()).toMatchObject({ running: 1, work: 5 });
      // The bound is 1 running + 4 waiting, all taken by the clip's work.
      await failsWith(gatedJob(queue, 'u1', log, 'photo').result, 'QUEUE_FULL');
      gate.resolve('done');
      await expect(clip).resolves.toBe('done');
      await tick();
      expect(queue.stats()).toMatchObject({ running: 0, work: 0 });
      expect(queue.heldBy('clipper')).toBe(0);
      // A clip of 3 leaves room for others, but none for its sender.
      const small = deferred<string>();
      const second = queue.submit(async () => small.promise, { requester: 'clipper', weight: 3 });
      await tick();
      expect(queue.stats()).toMatchObject({ running: 1, work: 3 });
      await failsWith(gatedJob(queue, 'clipper', log, 'mine').result, 'USER_BUSY');
      const other = gatedJob(queue, 'u1', log, 'other');
      small.resolve('second');
      other.gate.resolve('ok');
      await expect(Promise.all([second, other.result])).resolves.toEqual(['second', 'ok']);
    });

    it('is refused while the line holds too much work for it, or while its sender has another job in line', async () => {
      const queue = new JobQueue({ maxWaiting: 4, perRequester: 2 });
      const log: string[] = [];
      const first = gatedJob(queue, 'u1', log, 'first');
      const second = gatedJob(queue, 'u2', log, 'second');
      await tick();
      // 2 places taken of 5: a clip of weight 3 fits, one of 4 does not.
      await failsWith(
        queue.submit(async () => 'x', { requester: 'clipper', weight: 4 }),
        'QUEUE_FULL',
      );
      await failsWith(
        queue.submit(async () => 'x', { requester: 'u2', weight: 2 }),
        'USER_BUSY',
      );
      const fits = queue.submit(async () => 'fits', { requester: 'clipper', weight: 3 });
      first.gate.resolve('');
      second.gate.resolve('');
      await expect(fits).resolves.toBe('fits');
      expect(queue.stats()).toMatchObject({ work: 0, waiting: 0, running: 0 });
    });
  });
});
