/**
 * The likeness measure: does the cartoon keep the person? Photos of people (two portraits, a
 * football match, and group photos composed of the portraits' heads at several sizes on real
 * scenes), and an independent judge (judge.py: OpenCV's Haar cascades, which the engine never
 * uses) that counts the faces and eyes it finds in the photo and again in the cartoon, and how flat
 * the cartoon's skin is. Used by the likeness tests and by scripts/style-report.ts.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const FIXTURES = path.join(import.meta.dirname, '../../dev/fixtures');
const JUDGE = path.join(import.meta.dirname, 'judge.py');

export interface LikenessPhoto {
  name: string;
  image: Buffer;
}

/** Where a head is placed in a composed group: which portrait, its height, its centre (shares of the frame), mirrored or not. */
interface Head {
  from: 'astronaut' | 'hopper';
  height: number;
  x: number;
  y: number;
  flip: boolean;
}

/** The head and shoulders of each portrait (px of the fixture). */
const HEAD_CROPS = {
  astronaut: { left: 120, top: 0, width: 260, height: 300 },
  hopper: { left: 95, top: 20, width: 340, height: 400 },
} as const;

/** A head placed in a group: from which portrait, its height in px, its centre (shares of the frame), mirrored or not. */
function head(from: Head['from'], height: number, x: number, y: number, flip = false): Head {
  return { from, height, x, y, flip };
}

/**
 * Two groups: five people close up on a lawn (1280x800, faces ~90-160 px at a 1024 output), six
 * further away in front of an office block (1600x1000, faces ~45-110 px: the smallest a look
 * must still draw).
 */
// One line a row of people (prettier would put each head on six lines).
// prettier-ignore
const GROUPS: { name: string; scene: string; width: number; height: number; heads: Head[] }[] = [
  { name: 'group-lawn', scene: 'lawn', width: 1280, height: 800, heads: [
    head('astronaut', 440, 0.12, 0.55), head('hopper', 400, 0.33, 0.62), head('astronaut', 360, 0.53, 0.5, true), head('hopper', 320, 0.72, 0.66, true), head('astronaut', 280, 0.9, 0.52),
  ] },
  { name: 'group-street', scene: 'building', width: 1600, height: 1000, heads: [
    head('hopper', 300, 0.1, 0.7), head('astronaut', 260, 0.27, 0.72, true), head('hopper', 230, 0.43, 0.68, true),
    head('astronaut', 200, 0.58, 0.74), head('hopper', 180, 0.73, 0.7), head('astronaut', 220, 0.89, 0.72, true),
  ] },
];

async function composeGroup(group: (typeof GROUPS)[number]): Promise<Buffer> {
  const background = await sharp(path.join(FIXTURES, 'scenes', `${group.scene}.jpg`))
    .resize(group.width, group.height, { fit: 'cover' })
    .toBuffer();
  const layers = await Promise.all(
    group.heads.map(async (h) => {
      const file = path.join(FIXTURES, h.from === 'astronaut' ? 'astronaut.png' : 'hopper.jpg');
      const crop = HEAD_CROPS[h.from];
      const width = Math.round((h.height * crop.width) / crop.height);
      const input = await sharp(file).removeAlpha().extract(crop).flop(h.flip).resize(width, h.height).toBuffer();
      return { input, left: Math.round(h.x * group.width - width / 2), top: Math.round(h.y * group.height - h.height / 2) };
    }),
  );
  return sharp(background).composite(layers).jpeg({ quality: 92 }).toBuffer();
}

/**
 * The two sets of photos the likeness is measured on:
 * - composed: two portraits, a match, and groups composed of the portraits' heads (this repository's
 *   fixtures; sharp, evenly lit, the same two faces again and again);
 * - real: real group photos from Debian's dlib package (real-photos.json; fetched by
 *   scripts/test-setup.mjs, not in the repository): parties, bars, a classroom, flash and dim
 *   light, small and soft faces of every age, and a collage of 24 press portraits, light and dark
 *   skin, bald heads.
 */
export const LIKENESS_SETS = ['composed', 'real'] as const;
export type LikenessSet = (typeof LIKENESS_SETS)[number];

interface RealPhotos {
  cache: string;
  photos: { file: string; sha256: string }[];
}

/** The real group photos, checked against the checksums the floors were set on. */
export function realPhotos(): LikenessPhoto[] {
  const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, 'real-photos.json'), 'utf8')) as RealPhotos;
  const dir = path.join(import.meta.dirname, '../..', manifest.cache);
  return manifest.photos.map(({ file, sha256 }) => {
    const at = path.join(dir, file);
    if (!existsSync(at))
      throw new Error(`the likeness measure's real group photos are not in ${manifest.cache}: run node scripts/test-setup.mjs (npm test runs it), which unpacks them from Debian's dlib package`);
    const image = readFileSync(at);
    if (createHash('sha256').update(image).digest('hex') !== sha256) throw new Error(`${manifest.cache}/${file} is not the photo the likeness floors were set on (sha256 differs)`);
    return { name: path.parse(file).name, image };
  });
}

/** The photos of a set (LIKENESS_SETS). */
export async function likenessPhotos(set: LikenessSet = 'composed'): Promise<LikenessPhoto[]> {
  if (set === 'real') return realPhotos();
  const read = (file: string) => readFileSync(path.join(FIXTURES, file));
  return [
    { name: 'astronaut', image: read('astronaut.png') },
    { name: 'hopper', image: read('hopper.jpg') },
    { name: 'football', image: read('scenes/football.jpg') },
    ...(await Promise.all(GROUPS.map(async (g) => ({ name: g.name, image: await composeGroup(g) })))),
  ];
}

export interface JudgedFace {
  box: [number, number, number, number];
  kept: boolean;
  eyes: number;
  eyesKept: number;
  /** The same with the contrast evened out over the face's neighbourhood, not the whole picture. */
  eyesLocal: number;
  eyesKeptLocal: number;
  flat: number;
  photoFlat: number;
}

export interface Likeness {
  faces: number;
  facesKept: number;
  eyes: number;
  eyesKept: number;
  /**
   * Eyes judged with the contrast evened out over each face's neighbourhood: a second verdict that
   * does not move with the rest of the picture (the first one equalises the whole picture, so ink
   * or grass far from a small face can flip one of its eyes). Reported, not held to a floor.
   */
  eyesLocal: number;
  eyesKeptLocal: number;
  /** Mean over faces of the share of the inner face box whose 3x3 colour range is under 8 levels. */
  flat: number;
  photoFlat: number;
  perPhoto: { name: string; faces: JudgedFace[] }[];
}

/** The Python that has OpenCV: Debian's python3-opencv installs for /usr/bin/python3. */
export function judgePython(): string | undefined {
  return ['/usr/bin/python3', 'python3'].find((python) => (!python.startsWith('/') || existsSync(python)) && spawnSync(python, ['-c', 'import cv2, numpy'], { stdio: 'ignore' }).status === 0);
}

/**
 * Judges (photo, cartoon) pairs, both encoded, the cartoon at the output size: writes them to
 * `workDir` and runs the judge once over all of them. With `cacheDir`, what the judge finds in
 * each photo is kept there for the next call that judges the same photo at the same size (the
 * other looks): about half of its time.
 */
export async function judge(pairs: { name: string; photo: Uint8Array; cartoon: Uint8Array }[], workDir: string, cacheDir?: string): Promise<Likeness> {
  const python = judgePython();
  if (!python) throw new Error('the likeness judge needs OpenCV for Python: apt-get install python3-opencv opencv-data');
  await mkdir(workDir, { recursive: true });
  const args: string[] = [];
  for (const [i, pair] of pairs.entries()) {
    const photo = path.join(workDir, `${i}-${pair.name}-photo.png`);
    const cartoon = path.join(workDir, `${i}-${pair.name}-cartoon.png`);
    // The photo as sent: the judge brings it to the cartoon's size itself (an area average, one
    // resampling for every photo).
    await writeFile(photo, await sharp(pair.photo).removeAlpha().png().toBuffer());
    await writeFile(cartoon, pair.cartoon);
    args.push(photo, cartoon);
  }
  const { stdout } = await promisify(execFile)(python, [JUDGE, ...(cacheDir ? ['--cache', cacheDir] : []), ...args], { maxBuffer: 16 << 20 });
  const results = JSON.parse(stdout) as { faces: JudgedFace[] }[];
  const perPhoto = results.map((r, i) => ({ name: pairs[i]?.name ?? '', faces: r.faces }));
  const all = perPhoto.flatMap((p) => p.faces);
  const mean = (f: (x: JudgedFace) => number) => (all.length === 0 ? 0 : all.reduce((s, x) => s + f(x), 0) / all.length);
  return {
    faces: all.length,
    facesKept: all.filter((f) => f.kept).length,
    eyes: all.reduce((s, f) => s + f.eyes, 0),
    eyesKept: all.reduce((s, f) => s + f.eyesKept, 0),
    eyesLocal: all.reduce((s, f) => s + f.eyesLocal, 0),
    eyesKeptLocal: all.reduce((s, f) => s + f.eyesKeptLocal, 0),
    flat: mean((f) => f.flat),
    photoFlat: mean((f) => f.photoFlat),
    perPhoto,
  };
}
