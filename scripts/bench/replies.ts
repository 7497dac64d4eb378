/**
 * Each reply path as a platform sends and receives it: a 1280 px JPEG in (what Telegram hands a
 * bot for a photo), toon at the output size (its face pass included), and out as the platform's
 * reply: Telegram's photo reply (JPEG q88, 4:2:0), and the PNG that Discord and the studio send.
 * Medians of `runs` per path: decode, the model (whole-frame graph and face pass), encode, end to
 * end, and the upload's bytes. Then a burst (BURST replies at once, as a busy group chat sends
 * them): the time per reply when they queue, where each job's decode and encode run beside its
 * neighbours' graphs (the job next in line is decoded ahead; a drawn job encodes while the next
 * one draws).
 */
import sharp from 'sharp';
import { createEngine, DEFAULT_ENGINE_CONFIG, silentLogger, type CartoonOptions, type CartoonResult } from '../../src/engine/expert.ts';
import { round } from './measure.ts';
import type { RepliesRow, TaskOf } from './rows.ts';

/** Replies in a burst. */
const BURST = 6;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function replyPaths(task: TaskOf<'replies'>, photo: Buffer): Promise<RepliesRow> {
  const telegramPhoto = await sharp(photo).resize(1280, 1280, { fit: 'inside' }).jpeg({ quality: 87 }).toBuffer();
  const engine = await createEngine({ runtime: { ...DEFAULT_ENGINE_CONFIG.runtime, provider: task.provider }, queue: { perRequester: 1000 }, logger: silentLogger });
  const all: { path: string; resolution: number; options: Partial<CartoonOptions> }[] = [
    { path: 'Telegram photo (JPEG q88)', resolution: 1024, options: { format: 'jpeg', quality: 88 } },
    { path: 'Discord / studio (PNG)', resolution: 1024, options: { format: 'png' } },
    { path: 'Telegram photo (JPEG q88)', resolution: 512, options: { format: 'jpeg', quality: 88 } },
    { path: 'Discord / studio (PNG)', resolution: 512, options: { format: 'png' } },
  ];
  // A quick run (the bench's smoke test) takes the 512 rows only.
  const paths = task.quick ? all.filter((p) => p.resolution === 512) : all;
  try {
    const rows: RepliesRow['paths'] = [];
    for (const p of paths) {
      const options = { ...p.options, resolution: p.resolution };
      await engine.submit({ image: telegramPhoto, options });
      const runs: CartoonResult[] = [];
      for (let i = 0; i < task.runs; i += 1) runs.push(await engine.submit({ image: telegramPhoto, options }));
      const m = (f: (r: CartoonResult) => number) => round(median(runs.map(f)));
      const burst = task.quick ? 2 : BURST;
      const t = performance.now();
      await Promise.all(Array.from({ length: burst }, (_, i) => engine.submit({ image: telegramPhoto, options, requester: `burst-${i}` })));
      const burstMs = round((performance.now() - t) / burst);
      rows.push({
        path: p.path,
        resolution: p.resolution,
        decodeMs: m((r) => r.timings.decode),
        modelMs: m((r) => r.timings.inference),
        encodeMs: m((r) => r.timings.encode),
        totalMs: m((r) => r.timings.total),
        bytes: median(runs.map((r) => r.image.length)),
        burstMs,
        burst,
      });
    }
    return { inputBytes: telegramPhoto.length, paths: rows };
  } finally {
    await engine.close();
  }
}
