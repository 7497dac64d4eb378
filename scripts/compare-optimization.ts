/**
 * Compares onnxruntime's 'extended' and 'all' graph optimisation levels on one ONNX model (CPU,
 * arena on): session creation, first run, median of paired runs, and the largest output
 * difference. How the manifests' `session.optimization` was chosen.
 *
 *   npx tsx scripts/compare-optimization.ts models/looks.onnx 1024 [look]
 *   npx tsx scripts/compare-optimization.ts models/looks-512.onnx 512 [look]
 */
import * as ort from 'onnxruntime-node';

type Level = 'extended' | 'all';

/** Paired runs after the first one; the median of each level is reported. */
const RUNS = 7;
/** The strength fed to graphs that take one (the default option). */
const STRENGTH = 0.7;

const file = process.argv[2] ?? 'models/looks.onnx';
const side = Number(process.argv[3] ?? 1024);
/** Which look of a combined built-in graph (its `look` input: 0 toon, 1 sketch, 2 manga, 3 comic). */
const look = Number(process.argv[4] ?? 0);

function open(level: Level): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, { graphOptimizationLevel: level, enableCpuMemArena: true, enableMemPattern: true, executionProviders: ['cpu'] });
}

/**
 * A deterministic, busy test image (a multiplicative hash, not a flat colour the optimiser could
 * fold) in the graph's own input form: its element type (uint8 pixels or floats in 0..1) and its
 * layout (a channel axis of 3 first or last, as the input's shape says).
 */
function testImage(session: ort.InferenceSession): ort.Tensor {
  const meta = session.inputMetadata[0];
  if (!meta?.isTensor) throw new Error(`${file}: the first input is not a tensor`);
  const nhwc = meta.shape[3] === 3;
  const dims = nhwc ? [1, side, side, 3] : [1, 3, side, side];
  const hash = (i: number): number => ((i * 2654435761) % 1000) / 1000;
  const length = 3 * side * side;
  if (meta.type === 'uint8')
    return new ort.Tensor(
      'uint8',
      Uint8Array.from({ length }, (_, i) => Math.round(hash(i) * 255)),
      dims,
    );
  return new ort.Tensor(
    'float32',
    Float32Array.from({ length }, (_, i) => hash(i)),
    dims,
  );
}

function feeds(session: ort.InferenceSession, image: ort.Tensor): Record<string, ort.Tensor> {
  const [input] = session.inputNames;
  if (input === undefined) throw new Error(`${file} has no input`);
  const feed: Record<string, ort.Tensor> = { [input]: image };
  if (session.inputNames.includes('strength')) feed.strength = new ort.Tensor('float32', Float32Array.from([STRENGTH]), [1]);
  if (session.inputNames.includes('origin')) feed.origin = new ort.Tensor('float32', Float32Array.from([0, 0]), [2]);
  if (session.inputNames.includes('placement')) feed.placement = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1]), [5]);
  if (session.inputNames.includes('look')) feed.look = new ort.Tensor('int64', BigInt64Array.of(BigInt(look)), []);
  return feed;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function firstOutput(session: ort.InferenceSession, result: ort.InferenceSession.OnnxValueMapType): ArrayLike<number> {
  const [name] = session.outputNames;
  const tensor = name === undefined ? undefined : result[name];
  if (!tensor) throw new Error(`${file} has no output`);
  return tensor.data as ArrayLike<number>;
}

function median(values: readonly number[]): number {
  return [...values].sort((p, q) => p - q)[values.length >> 1] ?? Number.NaN;
}

const all = await timed(() => open('all'));
const extended = await timed(() => open('extended'));
const image = testImage(all.value);
console.log('create ms all/extended', Math.round(all.ms), Math.round(extended.ms), all.value.inputNames, all.value.outputNames);

const firstAll = await timed(() => all.value.run(feeds(all.value, image)));
const firstExtended = await timed(() => extended.value.run(feeds(extended.value, image)));
const a = firstOutput(all.value, firstAll.value);
const b = firstOutput(extended.value, firstExtended.value);
let maxDiff = 0;
for (let i = 0; i < a.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
console.log('first run ms all/extended', Math.round(firstAll.ms), Math.round(firstExtended.ms), 'max diff (output units)', maxDiff);

// Paired, so that both levels see the machine alike.
const times: Record<Level, number[]> = { all: [], extended: [] };
for (let i = 0; i < RUNS; i += 1) {
  times.all.push((await timed(() => all.value.run(feeds(all.value, image)))).ms);
  times.extended.push((await timed(() => extended.value.run(feeds(extended.value, image)))).ms);
}
console.log('median ms all/extended', median(times.all).toFixed(1), median(times.extended).toFixed(1), 'ratio', (median(times.extended) / median(times.all)).toFixed(2));
