/**
 * What a user waits for now against another commit: a look's end-to-end time (decode, graphs, face
 * pass, encode; queue wait left out) on the face pass's three bench photos, through this tree's
 * engine and through the commit's, alternating:
 *
 *   npx tsx scripts/bench/against.ts <commit> [--rounds 3] [--runs 7] [--resolution 1024] [--style toon]
 *
 * The `npm run bench` face row sets the face pass against the same build without it; this sets the
 * build against an older one, whose toon had no face pass (issue 31's "what it costs today": the
 * commit before its first, 87e9a08; `npm run bench` runs it too, `--against <commit>` picks
 * another, `--no-against` skips it). The commit is checked out into a temporary git worktree that
 * borrows this tree's node_modules (a commit whose dependencies differ may not run), with the
 * models it committed. Each tree runs in a child process of its own per round (two untimed runs,
 * then `--runs` timed ones; their median), the order swapped every round; the report gives each
 * round's medians, their median, and the ratio now / then.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { likenessPhotos } from '../likeness/likeness.ts';

const exec = promisify(execFile);
const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '../..');

interface ChildTask {
  tree: string;
  runs: number;
  resolution: number;
  style: string;
  photos: Record<string, string>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** The child: one engine of `tree`, medians of the timed runs per photo (ms). */
async function child(task: ChildTask): Promise<Record<string, number>> {
  const { createEngine, silentLogger } = (await import(path.join(task.tree, 'src/engine/index.ts'))) as typeof import('../../src/engine/index.ts');
  const engine = await createEngine({ queue: { perRequester: 1000, maxWaiting: 1000 }, logger: silentLogger });
  try {
    const out: Record<string, number> = {};
    for (const [name, file] of Object.entries(task.photos)) {
      const request = { image: await readFile(file), requester: 'bench', options: { style: task.style, resolution: task.resolution, strength: 0.7, format: 'png' as const } };
      // Two untimed runs: memory plans, the face graphs' sessions.
      await engine.submit(request);
      await engine.submit(request);
      const times: number[] = [];
      for (let i = 0; i < task.runs; i += 1) {
        const r = await engine.submit(request);
        times.push(r.timings.total - r.timings.queued);
      }
      out[name] = Math.round(median(times));
    }
    return out;
  } finally {
    await engine.close();
  }
}

async function runChild(task: ChildTask): Promise<Record<string, number>> {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', HERE, '--child', JSON.stringify(task)], {
    cwd: ROOT,
    maxBuffer: 1024 * 1024,
    timeout: 600_000,
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, number>;
}

/** One photo's times, this tree's ("now") against the commit's ("then"), ms. */
export interface AgainstCase {
  photo: string;
  /** Each round's median, per build. */
  now: number[];
  then: number[];
  nowMs: number;
  thenMs: number;
  /** nowMs / thenMs. */
  ratio: number;
}

export interface AgainstReport {
  /** The commit's short hash. */
  commit: string;
  style: string;
  resolution: number;
  rounds: number;
  runs: number;
  cases: AgainstCase[];
}

export interface AgainstOptions {
  rounds?: number;
  runs?: number;
  resolution?: number;
  style?: string;
  /** Each round's medians as they come. */
  log?: (line: string) => void;
}

/**
 * This tree against `commit` (any name git resolves), on the face row's three photos. Throws
 * when git cannot check the commit out (no git, a shallow clone, an unknown name).
 */
export async function compareWith(commit: string, options: AgainstOptions = {}): Promise<AgainstReport> {
  const { rounds = 3, runs = 7, resolution = 1024, style = 'toon', log } = options;
  const { stdout } = await exec('git', ['rev-parse', '--verify', `${commit}^{commit}`], { cwd: ROOT }).catch(() => {
    throw new Error(`git cannot find the commit ${commit} here (no git, or a shallow clone)`);
  });
  const sha = stdout.trim();
  const work = await mkdtemp(path.join(os.tmpdir(), 'toonbot-against-'));
  const then = path.join(work, 'tree');
  try {
    await exec('git', ['worktree', 'add', '--detach', then, sha], { cwd: ROOT });
    await symlink(path.join(ROOT, 'node_modules'), path.join(then, 'node_modules'), 'dir');
    // The bench's photos: the portrait as `npm run bench` makes it (a 2048² JPEG), the street
    // group of six (scripts/likeness), the coffee (no face).
    const portrait = path.join(work, 'portrait-2048.jpg');
    await sharp(path.join(ROOT, 'dev/fixtures/astronaut.png')).resize(2048, 2048, { kernel: 'lanczos3' }).jpeg({ quality: 92 }).toFile(portrait);
    const group = path.join(work, 'group-street.jpg');
    const street = (await likenessPhotos()).find((p) => p.name === 'group-street');
    if (!street) throw new Error('the likeness set has no group-street photo');
    await writeFile(group, street.image);
    const photos = { 'portrait (1 face)': portrait, 'group (6 faces)': group, 'coffee (no face)': path.join(ROOT, 'dev/fixtures/coffee.png') };
    const base = { runs, resolution, style, photos };
    const now: Record<string, number>[] = [];
    const before: Record<string, number>[] = [];
    for (let round = 0; round < rounds; round += 1) {
      for (const which of round % 2 === 0 ? ['now', 'then'] : ['then', 'now']) {
        const row = await runChild({ ...base, tree: which === 'now' ? ROOT : then });
        (which === 'now' ? now : before).push(row);
        log?.(`round ${round + 1} ${which}: ${JSON.stringify(row)}`);
      }
    }
    const cases = Object.keys(photos).map((photo): AgainstCase => {
      const a = now.map((r) => r[photo] as number);
      const b = before.map((r) => r[photo] as number);
      return { photo, now: a, then: b, nowMs: median(a), thenMs: median(b), ratio: Math.round((median(a) / median(b)) * 100) / 100 };
    });
    return { commit: sha.slice(0, 7), style, resolution, rounds, runs, cases };
  } finally {
    await exec('git', ['worktree', 'remove', '--force', then], { cwd: ROOT }).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

/** The report's table, markdown. */
export function againstTable(r: AgainstReport): string {
  return [
    `| photo | now (rounds) | then (rounds) | now | then | now / then |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...r.cases.map((c) => `| ${c.photo} | ${c.now.join(' / ')} | ${c.then.join(' / ')} | ${c.nowMs} | ${c.thenMs} | ${c.ratio.toFixed(2)} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      child: { type: 'string' },
      rounds: { type: 'string', default: '3' },
      runs: { type: 'string', default: '7' },
      resolution: { type: 'string', default: '1024' },
      style: { type: 'string', default: 'toon' },
    },
  });
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await child(JSON.parse(values.child) as ChildTask))}\n`);
    return;
  }
  const commit = positionals[0];
  if (!commit) throw new Error('usage: npx tsx scripts/bench/against.ts <commit> [--rounds 3] [--runs 7] [--resolution 1024] [--style toon]');
  const r = await compareWith(commit, {
    rounds: Number(values.rounds),
    runs: Number(values.runs),
    resolution: Number(values.resolution),
    style: values.style,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(`${r.style} at ${r.resolution}, ms end to end (medians of ${r.runs} per round; ${r.rounds} rounds), this tree against ${r.commit}:`);
  console.log(againstTable(r));
}

// Run as a script (or as its own child); imported by the benchmark, it only exports.
if (process.argv[1] && path.resolve(process.argv[1]) === HERE) await main();
