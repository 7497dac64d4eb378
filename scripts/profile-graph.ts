/**
 * Where a graph spends its time, node by node, from onnxruntime's own profiler:
 *
 *   npx tsx scripts/profile-graph.ts [--model models/looks.onnx] [--side 1024] [--runs 4] [--look 0]
 *
 * Runs the graph on a synthetic photo of `side`² (a deterministic pattern: time does not depend
 * on the content), then prints the runs' times, the kernel time per operator type and the top
 * nodes with their output shapes. The built-in graphs hold every look (`--look`: 0 toon, 1 sketch,
 * 2 manga, 3 comic); a look's nodes are named with its prefix (l0_, l1_...). Used for docs/BENCHMARKS.md ("Where the graph's time goes").
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'models/looks.onnx' }, look: { type: 'string', default: '0' }, side: { type: 'string', default: '1024' }, runs: { type: 'string', default: '4' } },
});
const side = Number(values.side);
const runs = Number(values.runs);
const dir = await mkdtemp(path.join(tmpdir(), 'toonbot-profile-'));
try {
  const session = await ort.InferenceSession.create(values.model, { graphOptimizationLevel: 'extended', enableProfiling: true, profileFilePrefix: path.join(dir, 'profile') });
  const feeds: Record<string, ort.Tensor> = {
    image: new ort.Tensor(
      'uint8',
      new Uint8Array(side * side * 3).map((_, i) => (i * 7919) % 251),
      [1, side, side, 3],
    ),
  };
  if (session.inputNames.includes('strength')) feeds.strength = new ort.Tensor('float32', new Float32Array([0.7]), [1]);
  if (session.inputNames.includes('origin')) feeds.origin = new ort.Tensor('float32', new Float32Array([0, 0]), [2]);
  if (session.inputNames.includes('placement')) feeds.placement = new ort.Tensor('float32', new Float32Array([1, 0, 0, 0, 1]), [5]);
  // The built-in graphs hold every look: 0 toon, 1 sketch, 2 manga, 3 comic.
  if (session.inputNames.includes('look')) feeds.look = new ort.Tensor('int64', BigInt64Array.of(BigInt(values.look)), []);
  for (let i = 0; i < runs; i += 1) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const file = (await readdir(dir)).find((name) => name.endsWith('.json'));
  if (!file) throw new Error('onnxruntime wrote no profile');
  const events = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args: { op_name?: string; output_type_shape?: unknown } }[];
  console.log(
    `${values.model} at ${side}²: runs ${events
      .filter((e) => e.name === 'model_run')
      .map((e) => (e.dur / 1000).toFixed(0))
      .join(', ')} ms`,
  );
  // An If node's time is its branch's nodes' time: counted once, in the branch.
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args.op_name !== 'If');
  const total = kernels.reduce((sum, e) => sum + e.dur, 0);
  const perRun = (us: number) => `${(us / 1000 / runs).toFixed(1)} ms`;
  const byOp = new Map<string, number>();
  const byNode = new Map<string, { op: string; us: number; shape: string }>();
  for (const e of kernels) {
    const op = e.args.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    const name = e.name.replace(/_kernel_time$/, '');
    const node = byNode.get(name) ?? { op, us: 0, shape: JSON.stringify(e.args.output_type_shape ?? '') };
    node.us += e.dur;
    byNode.set(name, node);
  }
  console.log(`kernels: ${perRun(total)} a run`);
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${op.padEnd(20)} ${perRun(us).padStart(9)}  ${((100 * us) / total).toFixed(1)} %`);
  console.log('top nodes:');
  for (const [name, n] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, 12)) console.log(`  ${perRun(n.us).padStart(9)}  ${n.op.padEnd(14)} ${name.padEnd(16)} ${n.shape}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
