/**
 * `npm run bench`: the report's tables (../shared/design/SEED.md) reproduced on this machine, for
 * the built-in style and the DCT-Net-topology model.
 *
 * Each measurement runs in a child process of its own, so its peak RSS is its own:
 * - per model and output size: decode / inference / encode / end-to-end medians, the bare
 *   `session.run` time of the same tiles in the same process, the overhead ratio, peak RSS;
 * - the DCT-Net topology at 2048 untiled, bare, for the memory that tiling saves;
 * - a 20-image serial batch: RSS at start and end;
 * - two submitters at once: the latency the second one adds;
 * - scale-out mode (a Redis server of its own, one worker): the latency Redis adds per job, and
 *   Redis's memory before and after a batch of 20.
 *
 * Writes bench-results/bench.md and bench-results/bench.json. `--quick` is a smoke run;
 * `--provider webgpu|cuda|cpu|auto` (default auto) picks the execution provider, and the report says
 * what the models actually ran on.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { compareWith } from './against.ts';
import { measure, mib, round } from './measure.ts';
import { BENCH_LOOK_IDS, BENCH_MODEL_IDS, type BenchModelId } from './models.ts';
import { toMarkdown } from './report.ts';
import type { BenchReport, Rows, Task, TaskKind, TaskOf } from './rows.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PHOTO = path.join(ROOT, 'dev/fixtures/astronaut.png');
/**
 * The build before every look drew faces (issue 31's "a photo without faces costs what it costs
 * today"): the face row's photos through it and through this build (against.ts).
 */
const BEFORE_FACES = '87e9a08';

const exec = promisify(execFile);

/** Runs one task in a child process of its own and returns its row. */
async function runChild<K extends TaskKind>(task: TaskOf<K>): Promise<Rows[K]> {
  // The child runs bundled JavaScript (bin/source.mjs), as the container runs compiled JavaScript:
  // its figures carry no compiler (tsx in the process: +38 MiB), and with the allocator setting the
  // image and the service unit set (README, "Memory").
  const { stdout } = await exec(process.execPath, [path.join(ROOT, 'bin/source.mjs'), fileURLToPath(import.meta.url), '--child', JSON.stringify(task)], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 600_000,
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Rows[K];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const childAt = args.indexOf('--child');
  if (childAt >= 0) {
    process.stdout.write(`${JSON.stringify(await measure(JSON.parse(args[childAt + 1] as string) as Task))}\n`);
    return;
  }
  const quick = args.includes('--quick');
  const providerAt = args.indexOf('--provider');
  const provider = providerAt >= 0 ? (args[providerAt + 1] as string) : 'auto';
  const outAt = args.indexOf('--out');
  const outDir = path.resolve(outAt >= 0 ? (args[outAt + 1] as string) : path.join(ROOT, 'bench-results'));
  await mkdir(outDir, { recursive: true });

  // A 2048x2048 JPEG made from the astronaut portrait: a square phone-sized photo, so that every
  // output size is resolution². (The report's 1920x1080 and 2000x3000 inputs decode alike.)
  const input = path.join(os.tmpdir(), `toonbot-bench-input-${quick ? 512 : 2048}.jpg`);
  await sharp(PHOTO)
    .resize(quick ? 512 : 2048, quick ? 512 : 2048, { kernel: 'lanczos3' })
    .jpeg({ quality: 92 })
    .toFile(input);

  const resolutions = quick ? [256] : [512, 1024, 2048];
  const runsFor = (model: BenchModelId, res: number): number => (quick ? 1 : model === 'toon' ? 7 : res >= 2048 ? 3 : 5);
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const started = performance.now();
  const sizes: BenchReport['sizes'] = [];
  for (const model of BENCH_MODEL_IDS) {
    for (const resolution of resolutions) {
      log(`[bench] ${model} @ ${resolution}...`);
      sizes.push({ model, resolution, ...(await runChild({ provider, kind: 'size', model, resolution, runs: runsFor(model, resolution), input })) });
    }
  }
  // The other looks at 1024 and 2048 (their graphs are toon's with another rendering at the end,
  // so the question is only what that rendering costs).
  // (A quick run, the test's smoke run, measures one: each row is a process of its own.)
  for (const model of quick ? BENCH_LOOK_IDS.slice(0, 1) : BENCH_LOOK_IDS) {
    for (const resolution of quick ? [256] : [1024, 2048]) {
      log(`[bench] ${model} @ ${resolution}...`);
      sizes.push({ model, resolution, ...(await runChild({ provider, kind: 'size', model, resolution, runs: quick ? 1 : 7, input })) });
    }
  }
  const untiledRes = quick ? 256 : 2048;
  log(`[bench] dctnet-topology @ ${untiledRes} untiled, bare...`);
  const untiled = { model: 'dctnet-topology', resolution: untiledRes, ...(await runChild({ provider, kind: 'untiled', model: 'dctnet-topology', resolution: untiledRes, input })) };
  // At 1024 even for --quick: the group's faces are 45-110 px there, the size the face pass is for.
  log('[bench] the face pass @ 1024...');
  const portrait = { model: 'toon', resolution: 1024, ...(await runChild({ provider, kind: 'portrait', resolution: 1024, runs: quick ? 1 : 7, input })) };
  // Skipped for a quick run, with --no-against, and where git cannot check the commit out (a
  // shallow clone, a container without git): the report says why.
  let against: BenchReport['against'];
  if (!quick && !args.includes('--no-against')) {
    const againstAt = args.indexOf('--against');
    const commit = againstAt >= 0 ? (args[againstAt + 1] as string) : BEFORE_FACES;
    log(`[bench] toon @ 1024 against ${commit}...`);
    against = await compareWith(commit).catch((error: unknown) => ({ commit, skipped: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '' }));
  }
  const clipRes = quick ? 256 : 480;
  log(`[bench] a clip @ ${clipRes}...`);
  const clip = { resolution: clipRes, ...(await runChild({ provider, kind: 'clip', resolution: clipRes, seconds: quick ? 1 : 3, input })) };
  const batches: BenchReport['batches'] = [];
  const pairs: BenchReport['pairs'] = [];
  for (const model of BENCH_MODEL_IDS) {
    const resolution = quick ? 256 : 1024;
    log(`[bench] ${model}: batch of ${quick ? 2 : 20} @ ${resolution}...`);
    batches.push({ model, resolution, ...(await runChild({ provider, kind: 'batch', model, resolution, images: quick ? 2 : 20, input })) });
    log(`[bench] ${model}: two users at once @ ${resolution}...`);
    pairs.push({ model, resolution, ...(await runChild({ provider, kind: 'pair', model, resolution, rounds: quick ? 1 : 3, input })) });
  }

  const int8Res = quick ? 256 : 1024;
  log(`[bench] dctnet-topology int8 vs fp32 @ ${int8Res}...`);
  const int8 = { model: 'dctnet-topology', resolution: int8Res, ...(await runChild({ provider, kind: 'int8', resolution: int8Res, runs: quick ? 2 : 7, input })) };
  const scaleRes = quick ? 256 : 1024;
  log(`[bench] scale-out: one worker behind Redis vs embedded @ ${scaleRes}...`);
  const scale = { resolution: scaleRes, ...(await runChild({ provider, kind: 'scale', resolution: scaleRes, runs: quick ? 2 : 7, images: quick ? 4 : 20, input })) };

  const journalRes = quick ? 256 : 1024;
  log(`[bench] the journal (durable line) @ ${journalRes}...`);
  const journal = { resolution: journalRes, ...(await runChild({ provider, kind: 'journal', resolution: journalRes, runs: quick ? 2 : 9, input })) };

  log('[bench] reply paths: a 1280 px JPEG in, JPEG or PNG out...');
  const replies = await runChild({ provider, kind: 'replies', runs: quick ? 1 : 7, quick, input });

  const switchRes = quick ? 256 : 1024;
  log(`[bench] switching looks @ ${switchRes}...`);
  const switching = { resolution: switchRes, ...(await runChild({ provider, kind: 'switch', resolution: switchRes, rounds: quick ? 1 : 2, input })) };

  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${mib(os.totalmem())} MiB, Node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}, sharp ${sharp.versions.sharp ?? '?'}`;
  const ranOn = [...new Set(sizes.flatMap((x) => x.providers))];
  const report: BenchReport = {
    provider,
    ranOn,
    inputSide: quick ? 512 : 2048,
    date: new Date().toISOString(),
    machine,
    quick,
    wallSeconds: round((performance.now() - started) / 1000),
    sizes,
    untiled,
    portrait,
    ...(against ? { against } : {}),
    clip,
    batches,
    pairs,
    int8,
    scale,
    journal,
    replies,
    switching,
  };
  await writeFile(path.join(outDir, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(outDir, 'bench.md'), toMarkdown(report));
  process.stdout.write(toMarkdown(report));
}

await main();
