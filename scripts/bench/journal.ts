/**
 * What the durable line costs a photo: toon at the output size through the engine, with and
 * without the journal's lines around each job (written before the job, as the bots do: `add`
 * before the update is confirmed, the status note, `delivered`, `done`), alternating, medians.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Journal } from '../../src/bots/shared/Journal.ts';
import { createEngine, DEFAULT_ENGINE_CONFIG, silentLogger } from '../../src/engine/expert.ts';
import { round } from './measure.ts';
import type { JournalRow, TaskOf } from './rows.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function journalCost(task: TaskOf<'journal'>, photo: Buffer): Promise<JournalRow> {
  const engine = await createEngine({ runtime: { ...DEFAULT_ENGINE_CONFIG.runtime, provider: task.provider }, queue: { perRequester: 1000 }, logger: silentLogger });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toonbot-bench-journal-'));
  const journal = await Journal.open(path.join(dir, 'journal.log'), silentLogger);
  const options = { style: 'toon', resolution: task.resolution, format: 'png' as const };
  try {
    await engine.submit({ image: photo, options });
    await engine.submit({ image: photo, options });
    const plain: number[] = [];
    const journalled: number[] = [];
    const lines: number[] = [];
    for (let i = 0; i < task.runs; i += 1) {
      let t = performance.now();
      await engine.submit({ image: photo, options });
      plain.push(performance.now() - t);
      t = performance.now();
      const entry = await journal.add(`bench:${i}`, { platform: 'telegram', message: { chat: { id: 1 }, message_id: i, photo: [{ file_id: 'x'.repeat(80) }] } });
      const added = performance.now() - t;
      await engine.submit({ image: photo, options });
      const u = performance.now();
      await journal.note(entry.id, { status: { chat: 1, message: i } });
      await journal.note(entry.id, { delivered: true });
      await journal.done(entry.id);
      journalled.push(performance.now() - t);
      lines.push(added + performance.now() - u);
    }
    const plainMs = median(plain);
    const journalledMs = median(journalled);
    return { runs: task.runs, plainMs: round(plainMs), journalledMs: round(journalledMs), linesMs: round(median(lines), 2), added: round(median(lines) / plainMs, 4) };
  } finally {
    await journal.close();
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}
