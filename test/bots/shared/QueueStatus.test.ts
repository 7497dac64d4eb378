import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueueStatus, type StatusSink } from '../../../src/bots/shared/QueueStatus.ts';

function recordingSink(kind: StatusSink['kind']): StatusSink & { shown: { text: string; at: number }[]; cleared: number } {
  const sink = {
    kind,
    shown: [] as { text: string; at: number }[],
    cleared: 0,
    show: async (text: string) => void sink.shown.push({ text, at: Date.now() }),
    clear: async () => void (sink.cleared += 1),
  };
  return sink;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('QueueStatus: the place in line, for both platforms', () => {
  it('shows nothing, and clears nothing, for a job that starts at once', async () => {
    const sink = recordingSink('message');
    const status = new QueueStatus(sink, 'en', 1500);
    status.position(0);
    await vi.advanceTimersByTimeAsync(5000);
    await status.close();
    expect(sink.shown).toEqual([]);
    expect(sink.cleared).toBe(0);
  });

  it('shows the place at once, then at most one update per interval, the latest one winning', async () => {
    const sink = recordingSink('message');
    const status = new QueueStatus(sink, 'en', 1500);
    const start = Date.now();
    status.position(3);
    await vi.advanceTimersByTimeAsync(0);
    status.position(2);
    await vi.advanceTimersByTimeAsync(500);
    status.position(1);
    await vi.advanceTimersByTimeAsync(2000);
    status.position(0);
    await vi.advanceTimersByTimeAsync(2000);
    await status.close();
    expect(sink.shown.map((s) => s.text)).toEqual(['Queued: #3 in line…', 'Queued: #1 in line…', 'Cartoonising…']);
    expect(sink.shown.map((s) => s.at - start)).toEqual([0, 1500, 3000]);
    expect(sink.cleared).toBe(1);
  });

  it('words the place for where it shows: a message of its own, or the reply that will carry the result; in Chinese too', async () => {
    const reply = recordingSink('reply');
    const zh = recordingSink('message');
    const a = new QueueStatus(reply, 'en');
    const b = new QueueStatus(zh, 'zh');
    a.position(2);
    b.position(2);
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all([a.close(), b.close()]);
    expect(reply.shown[0]?.text).toBe('#2 in line…');
    expect(zh.shown[0]?.text).toBe('排队中：第 2 位…');
  });

  it("shows a batch's progress from its first item, with the item before the place", async () => {
    const sink = recordingSink('reply');
    const status = new QueueStatus(sink, 'en', 100);
    status.item(0, 3);
    await vi.advanceTimersByTimeAsync(200);
    status.position(4);
    await vi.advanceTimersByTimeAsync(200);
    status.item(1, 3);
    await vi.advanceTimersByTimeAsync(200);
    await status.close();
    expect(sink.shown.map((s) => s.text)).toEqual(['1/3 · Cartoonising…', '1/3 · #4 in line…', '2/3 · Cartoonising…']);
  });

  it('sends nothing after close, even an update that was waiting for its turn', async () => {
    const sink = recordingSink('message');
    const status = new QueueStatus(sink, 'en', 1500);
    status.position(2);
    await vi.advanceTimersByTimeAsync(0);
    status.position(1);
    await status.close();
    status.position(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sink.shown.map((s) => s.text)).toEqual(['Queued: #2 in line…']);
  });
});
