/**
 * Compares onnxruntime's 'extended' and 'all' graph optimisation levels on one ONNX model (CPU,
 * arena on): session creation, first run, median of 7 paired runs, and the largest output
 * difference. How the manifests' `session.optimization` was chosen.
 *   npx tsx scripts/compare-optimization.ts models/toon.onnx 1024
 *   npx tsx scripts/compare-optimization.ts models/toon-head.onnx 512
 */
import * as ort from 'onnxruntime-node';
const file = process.argv[2] ?? 'models/toon.onnx';
const side = Number(process.argv[3] ?? 1024);
const mk = (level: 'extended' | 'all') => ort.InferenceSession.create(file, { graphOptimizationLevel: level, enableCpuMemArena: true, enableMemPattern: true, executionProviders: ['cpu'] });
const t0 = performance.now(); const a = await mk('all'); const ta = performance.now() - t0;
const t1 = performance.now(); const b = await mk('extended'); const tb = performance.now() - t1;
console.log('create ms all/extended', Math.round(ta), Math.round(tb), a.inputNames, a.outputNames);
const input = new ort.Tensor('float32', Float32Array.from({ length: 3 * side * side }, (_, i) => ((i * 2654435761) % 1000) / 1000), [1, 3, side, side]);
const feeds = (s: ort.InferenceSession) => { const f: Record<string, ort.Tensor> = { [s.inputNames[0]!]: input }; if (s.inputNames.includes('strength')) f.strength = new ort.Tensor('float32', Float32Array.from([0.7]), [1]); return f; };
const first = async (s: ort.InferenceSession) => { const t = performance.now(); const r = await s.run(feeds(s)); return [performance.now() - t, r] as const; };
const [fa, ra] = await first(a); const [fb, rb] = await first(b);
const oa = ra[a.outputNames[0]!]!.data as Float32Array, ob = rb[b.outputNames[0]!]!.data as Float32Array;
let max = 0; for (let i = 0; i < oa.length; i++) max = Math.max(max, Math.abs(oa[i]! - ob[i]!));
console.log('first run ms all/extended', Math.round(fa), Math.round(fb), 'max diff (0..1 range)', max);
const ta2: number[] = [], tb2: number[] = [];
for (let i = 0; i < 7; i++) { let t = performance.now(); await a.run(feeds(a)); ta2.push(performance.now() - t); t = performance.now(); await b.run(feeds(b)); tb2.push(performance.now() - t); }
const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
console.log('median ms all/extended', med(ta2).toFixed(1), med(tb2).toFixed(1), 'ratio', (med(tb2) / med(ta2)).toFixed(2));
