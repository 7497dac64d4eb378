/**
 * What switching looks costs: through the engine at its defaults (sessions kept per thread, face
 * pool), one job after another in toon, then each other look in turn, twice round. Each look's
 * first job after a change (its graph not among the last used) against its second job in a row.
 */
import { createEngine, DEFAULT_ENGINE_CONFIG, silentLogger } from '../../src/engine/expert.ts';
import { round } from './measure.ts';
import type { SwitchRow, TaskOf } from './rows.ts';

const LOOKS = ['comic', 'sketch', 'manga', 'toon'] as const;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function switchCost(task: TaskOf<'switch'>, photo: Buffer): Promise<SwitchRow> {
  const engine = await createEngine({ runtime: { ...DEFAULT_ENGINE_CONFIG.runtime, provider: task.provider }, queue: { perRequester: 1000 }, logger: silentLogger });
  const job = async (style: string): Promise<number> => {
    const t = performance.now();
    await engine.submit({ image: photo, options: { style, resolution: task.resolution, format: 'png' } });
    return performance.now() - t;
  };
  try {
    await job('toon');
    await job('toon');
    const first: number[] = [];
    const again: number[] = [];
    const jobs: SwitchRow['jobs'] = [];
    for (let round_ = 0; round_ < task.rounds; round_ += 1) {
      for (const look of LOOKS) {
        const a = await job(look);
        const b = await job(look);
        first.push(a);
        again.push(b);
        jobs.push({ look, round: round_ + 1, firstMs: round(a), againMs: round(b) });
      }
    }
    const warm = median(again);
    return {
      jobs,
      warmMs: round(warm),
      firstMs: round(median(first)),
      ratio: round(median(first) / warm, 2),
      worstRatio: round(Math.max(...first) / warm, 2),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await engine.close();
  }
}
