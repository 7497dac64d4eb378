/**
 * The likeness figures of every built-in look through the real engine (face pass included):
 *
 *   npx tsx scripts/likeness/report.ts [--sides 1024,512] [--looks toon,comic,sketch,manga] [--sets composed,real] [--out dir] [--references] [--jitter]
 *
 * Per set of photos (likeness.ts), look and output size: faces and eyes the judge finds in the photos and still finds in the
 * cartoons, and the skin's flat share. With --out, writes every cartoon there to look at. With
 * --references, also the same figures for pictures made without the engine (references.ts: the
 * photo blurred, and a classic pencil sketch of it), to read the looks' figures against. With
 * --jitter, also the eyes kept when the same cartoons are shifted by a pixel or saved as a JPEG
 * of quality 95 (changes no one sees): how far the judge's verdict moves by itself.
 */
import sharp from 'sharp';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createEngine } from '../../src/engine/expert.ts';
import { judge, LIKENESS_SETS, likenessPhotos, type Likeness, type LikenessSet } from './likeness.ts';
import { referencePicture, REFERENCES, type Reference } from './references.ts';

export const LIKENESS_LOOKS = ['toon', 'comic', 'sketch', 'manga'] as const;

export interface LikenessRow {
  look: string;
  side: number;
  /** Which photos (likeness.ts, LIKENESS_SETS). */
  set: LikenessSet;
  likeness: Likeness;
  /** With jitter: the same cartoons changed by what no one sees (JITTERS), judged again. */
  jittered?: { label: string; likeness: Likeness }[];
}

/** Changes to a cartoon that no one sees: a pixel's shift (the edge pixel repeated) or a JPEG of quality 95. */
export const JITTERS: { label: string; apply: (png: Uint8Array) => Promise<Uint8Array> }[] = [
  { label: '1 px right', apply: (png) => shifted(png, 1, 0) },
  { label: '1 px down', apply: (png) => shifted(png, 0, 1) },
  {
    label: 'JPEG 95',
    apply: async (png) =>
      sharp(await sharp(png).jpeg({ quality: 95 }).toBuffer())
        .png()
        .toBuffer(),
  },
];

async function shifted(png: Uint8Array, dx: number, dy: number): Promise<Uint8Array> {
  const { width, height } = await sharp(png).metadata();
  // Two pipelines: sharp extends after it extracts within one.
  const extended = await sharp(png).extend({ left: dx, top: dy, extendWith: 'copy' }).png().toBuffer();
  return sharp(extended).extract({ left: 0, top: 0, width, height }).png().toBuffer();
}

/**
 * One row per set, label and size: every photo of the set drawn by `draw`, written to `out` (when
 * given) as `<photo>.<file label>.<side>.png`, and judged.
 */
async function judgedRows(
  sets: readonly LikenessSet[],
  labels: readonly string[],
  sides: readonly number[],
  draw: (label: string, photo: Buffer, side: number) => Promise<Uint8Array>,
  naming: { row: (label: string) => string; file: (label: string) => string },
  out?: string,
  jitter = false,
): Promise<LikenessRow[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'toonbot-likeness-'));
  // The judge (another process) runs while the next look is drawn, one judging at a time: on two
  // cores neither keeps both busy all the time.
  let judging: Promise<unknown> = Promise.resolve();
  const judged: Promise<LikenessRow>[] = [];
  try {
    for (const set of sets) {
      const photos = await likenessPhotos(set);
      for (const label of labels) {
        for (const side of sides) {
          const pairs: { name: string; photo: Buffer; cartoon: Uint8Array }[] = [];
          for (const photo of photos) {
            const cartoon = await draw(label, photo.image, side);
            pairs.push({ name: photo.name, photo: photo.image, cartoon });
            if (out) {
              await mkdir(out, { recursive: true });
              await writeFile(path.join(out, `${photo.name}.${naming.file(label)}.${side}.png`), cartoon);
            }
          }
          const dir = path.join(work, `${set}-${naming.file(label)}-${side}`);
          const row = judging.then(async (): Promise<LikenessRow> => {
            const done: LikenessRow = { look: naming.row(label), side, set, likeness: await judge(pairs, dir, path.join(work, 'photos')) };
            if (jitter) {
              done.jittered = [];
              for (const [i, j] of JITTERS.entries()) {
                const changed = await Promise.all(pairs.map(async (p) => ({ ...p, cartoon: await j.apply(p.cartoon) })));
                done.jittered.push({ label: j.label, likeness: await judge(changed, `${dir}-jitter${i}`, path.join(work, 'photos')) });
              }
            }
            return done;
          });
          judging = row.catch(() => undefined);
          judged.push(row);
        }
      }
    }
    return await Promise.all(judged);
  } finally {
    // Nothing may still be writing to the work folder when it is removed.
    await Promise.allSettled(judged);
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs every photo of the sets through the engine in each look and size, and judges the results. */
export async function likenessTable(looks: readonly string[], sides: readonly number[], out?: string, jitter = false, sets: readonly LikenessSet[] = LIKENESS_SETS): Promise<LikenessRow[]> {
  const engine = await createEngine({ queue: { perRequester: 100 } });
  try {
    const draw = async (look: string, image: Buffer, side: number) => (await engine.submit({ image, options: { style: look, resolution: side, format: 'png' } })).image;
    return await judgedRows(sets, looks, sides, draw, { row: (look) => look, file: (look) => look }, out, jitter);
  } finally {
    await engine.close();
  }
}

/** The judge's figures for the reference pictures (references.ts), one row per set, reference and size. */
export function referenceTable(sides: readonly number[], out?: string, sets: readonly LikenessSet[] = LIKENESS_SETS): Promise<LikenessRow[]> {
  const draw = (kind: string, image: Buffer, side: number) => referencePicture(kind as Reference, image, side);
  return judgedRows(sets, REFERENCES, sides, draw, { row: (kind) => `(${kind})`, file: (kind) => `reference-${kind}` }, out);
}

export function formatLikeness(rows: LikenessRow[]): string {
  const lines = ['set       look       side  faces kept     eyes kept      skin flat (photo)  eyes, local contrast'];
  for (const { set, look, side, likeness: l } of rows) {
    const share = (a: number, b: number) => `${a}/${b} ${(b === 0 ? 0 : a / b).toFixed(2)}`.padEnd(15);
    lines.push(
      `${set.padEnd(9)} ${look.padEnd(10)} ${String(side).padEnd(5)} ${share(l.facesKept, l.faces)}${share(l.eyesKept, l.eyes)}${`${l.flat.toFixed(2)} (${l.photoFlat.toFixed(2)})`.padEnd(19)}${share(l.eyesKeptLocal, l.eyesLocal)}`.trimEnd(),
    );
  }
  if (rows.some((r) => r.jittered)) {
    lines.push('', `faces kept · eyes kept: as drawn | ${JITTERS.map((j) => j.label).join(' | ')}`);
    for (const { set, look, side, likeness: l, jittered } of rows) {
      if (jittered)
        lines.push(
          `${set.padEnd(9)} ${look.padEnd(10)} ${String(side).padEnd(5)} ${[l, ...jittered.map((j) => j.likeness)].map((x) => `${x.facesKept}/${x.faces} · ${x.eyesKept}/${x.eyes}`).join(' | ')}`,
        );
    }
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      sides: { type: 'string', default: '1024,512' },
      looks: { type: 'string', default: LIKENESS_LOOKS.join(',') },
      out: { type: 'string' },
      references: { type: 'boolean', default: false },
      jitter: { type: 'boolean', default: false },
      sets: { type: 'string', default: LIKENESS_SETS.join(',') },
    },
  });
  const sides = values.sides.split(',').map(Number);
  const sets = values.sets.split(',') as LikenessSet[];
  for (const set of sets) if (!(LIKENESS_SETS as readonly string[]).includes(set)) throw new Error(`--sets: ${set} is not one of ${LIKENESS_SETS.join(', ')}`);
  const rows = await likenessTable(values.looks.split(','), sides, values.out, values.jitter, sets);
  if (values.references) rows.push(...(await referenceTable(sides, values.out, sets)));
  console.log(formatLikeness(rows));
}
