/**
 * Keeping the person: in every look, at 1024 and 512, the cartoon keeps the faces and eyes that an
 * independent judge (OpenCV's Haar cascades, scripts/likeness/judge.py; the engine finds faces with
 * BlazeFace) finds in the photo, and in toon and comic the skin is flat. Portraits, a match and
 * group photos (scripts/likeness/likeness.ts); the floors are LIKENESS_FLOORS below.
 */
import { readFileSync } from 'node:fs';
import sharp, { type OutputInfo } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JITTERS, LIKENESS_LOOKS, likenessTable, type LikenessRow } from '../../scripts/likeness/report.ts';
import { judgePython } from '../../scripts/likeness/likeness.ts';
import { referencePicture } from '../../scripts/likeness/references.ts';

/**
 * The composed set: what every look must keep, by output size: the issue's shares of the judge's
 * faces (0.9) and eyes (0.8), and (toon and comic) the mean flat share of the skin. The photos'
 * own skin scores 0.00-0.02 on these photos, so a face pasted back from the photo fails. Flat: the
 * issue's 0.40 at 1024 and 0.30 at 512 (measured: toon 0.47 / 0.42, comic 0.44 / 0.39, since the
 * skin is painted in two flat tones; round the eyes and brows half of it). Eyes, today at 1024 /
 * 512: toon 13/13 / 6/7 and comic 12/13 / 6/7 (comic loses one eye of the street group's 58 px
 * face at 1024; both looks lost both before the skin round the eyes was half painted,
 * FACE_PARAMS.celEyeKeep, and the brows measured against the forehead, browAbove), sketch 13/13 / 6/7 and manga 12/13 / 6/7 since the shade
 * round their eyes is drawn (FACE_PARAMS.eyeToneFrom; sketch had 10/13 and 5/7, manga 10/13;
 * manga 13/13 before each cheek became one wash, FACE_PARAMS.plainWide).
 * What the judge misses: one eye of a 54 px face at 512 in every look. Toon and comic keep a 62 px
 * face's second eye at 512 since a small face's strokes start lower there
 * (FACE_PARAMS.smallInk); it had gone 0.86 -> 0.71 when the small-face search was brought closer at
 * 512, which finds the lawn group's 37 px face (docs/BENCHMARKS.md). Read against the references
 * (report.ts --references): the same judge keeps 0.15 / 0.29 of the eyes in a classic pencil
 * sketch of these photos, every eye drawn, and 0.54 / 0.71 in the photo blurred 6 px.
 */
const LIKENESS_FLOORS = {
  1024: { faces: 0.9, eyes: 0.8, flat: 0.4 },
  512: { faces: 0.9, eyes: 0.8, flat: 0.3 },
} as const;
const FLAT_LOOKS = new Set(['toon', 'comic']);

/**
 * The real group photos (likeness.ts, Debian's dlib examples: 66 faces and 94 eyes the judge finds
 * at 1024, 54 faces and 14 eyes at 512): soft, small, flash-lit and dimly lit faces, where the
 * composed set's sharp portraits flatter the looks. Held at the 0.9 of the faces and 0.8
 * of the eyes, in every look at both sizes (today toon 64/66, 86/94, 53/54, 12/14; comic 64/66,
 * 84/94, 52/54, 12/14; sketch 62/66, 92/94, 53/54, 12/14; manga 64/66, 90/94, 53/54, 13/14;
 * docs/BENCHMARKS.md, "Real group photos").
 * At 512 the judge finds eyes on only a few faces (its eye boxes start at 8 px, a 70 px face), 14
 * in all, so one look's share there moves by 0.07 an eye: each look keeps 12-14 of them over four
 * imperceptible changes of the same cartoons (report.ts --jitter), where 11 fails. Comic kept 11
 * (10-11) before the looks drew an eye's darks with more contrast than its lights
 * (FACE_PARAMS.eyeDarkContrast); the four looks together 44/56 before toon and comic painted only
 * half the skin round the eyes and brows (FACE_PARAMS.celEyeKeep), 39/56 before small faces were
 * drawn on finer crops below a 1024 output (portrait.ts, SMALL_OUTPUT_UPSAMPLE). The judge keeps
 * 0.21 of these eyes in the photo blurred (report.ts --references).
 */
const REAL_FLOORS: Record<string, { faces1024: number; eyes1024: number; faces512: number; eyes512: number }> = {
  toon: { faces1024: 0.9, eyes1024: 0.8, faces512: 0.9, eyes512: 0.8 },
  comic: { faces1024: 0.9, eyes1024: 0.8, faces512: 0.9, eyes512: 0.8 },
  sketch: { faces1024: 0.9, eyes1024: 0.8, faces512: 0.9, eyes512: 0.8 },
  manga: { faces1024: 0.9, eyes1024: 0.8, faces512: 0.9, eyes512: 0.8 },
};

let rows: LikenessRow[] = [];
beforeAll(async () => {
  if (!judgePython()) throw new Error('the likeness judge needs OpenCV for Python: apt-get install python3-opencv opencv-data (npm test installs them as root)');
  rows = await likenessTable(LIKENESS_LOOKS, [1024, 512]);
}, 420_000);
afterAll(() => {
  // The figures, for the log of a run that fails (and for anyone reading a passing one).
  for (const r of rows)
    console.log(
      `${r.set} ${r.look} ${r.side}: faces ${r.likeness.facesKept}/${r.likeness.faces}, eyes ${r.likeness.eyesKept}/${r.likeness.eyes} (local contrast ${r.likeness.eyesKeptLocal}/${r.likeness.eyesLocal}), flat ${r.likeness.flat.toFixed(2)}`,
    );
});
const row = (set: string, look: string, side: number) => rows.find((r) => r.set === set && r.look === look && r.side === side) as LikenessRow;

describe('every look keeps the person', () => {
  it('the judge finds enough faces and eyes in the photos for the shares to mean something', () => {
    for (const side of [1024, 512] as const) {
      const { likeness } = row('composed', 'toon', side);
      expect(likeness.faces).toBeGreaterThanOrEqual(side === 1024 ? 12 : 7);
      expect(likeness.eyes).toBeGreaterThanOrEqual(side === 1024 ? 10 : 5);
      expect(likeness.photoFlat).toBeLessThan(0.1);
    }
    expect(row('real', 'toon', 1024).likeness.faces).toBeGreaterThanOrEqual(60);
    expect(row('real', 'toon', 1024).likeness.eyes).toBeGreaterThanOrEqual(85);
    expect(row('real', 'toon', 512).likeness.faces).toBeGreaterThanOrEqual(50);
    expect(row('real', 'toon', 512).likeness.eyes).toBeGreaterThanOrEqual(12);
  });

  for (const look of LIKENESS_LOOKS) {
    for (const side of [1024, 512] as const) {
      it(`${look} at ${side}: faces and eyes kept${FLAT_LOOKS.has(look) ? ', skin flat' : ''}`, () => {
        const { likeness } = row('composed', look, side);
        const floor = LIKENESS_FLOORS[side];
        expect(likeness.facesKept / likeness.faces, 'faces kept').toBeGreaterThanOrEqual(floor.faces);
        expect(likeness.eyesKept / likeness.eyes, 'eyes kept').toBeGreaterThanOrEqual(floor.eyes);
        if (FLAT_LOOKS.has(look)) expect(likeness.flat, 'skin flat share').toBeGreaterThanOrEqual(floor.flat);
      });
    }
    it(`${look} on real group photos: faces and eyes kept at 1024 and 512`, () => {
      const floor = REAL_FLOORS[look]!;
      const big = row('real', look, 1024).likeness;
      const small = row('real', look, 512).likeness;
      expect(big.facesKept / big.faces, 'faces kept at 1024').toBeGreaterThanOrEqual(floor.faces1024);
      expect(big.eyesKept / big.eyes, 'eyes kept at 1024').toBeGreaterThanOrEqual(floor.eyes1024);
      expect(small.facesKept / small.faces, 'faces kept at 512').toBeGreaterThanOrEqual(floor.faces512);
      expect(small.eyesKept / small.eyes, 'eyes kept at 512').toBeGreaterThanOrEqual(floor.eyes512);
      if (FLAT_LOOKS.has(look)) expect(big.flat, 'skin flat share at 1024').toBeGreaterThanOrEqual(LIKENESS_FLOORS[1024].flat);
    });
  }
});

describe('the reference pictures the figures are read against (report.ts --references)', () => {
  const photo = readFileSync(new URL('../../dev/fixtures/astronaut.png', import.meta.url));
  const pixels = async (png: Buffer) => sharp(png).raw().toBuffer({ resolveWithObject: true });
  /** Mean absolute difference between horizontal neighbours: how much fine detail a picture holds. */
  const detail = ({ data, info }: { data: Buffer; info: OutputInfo }) => {
    let sum = 0;
    for (let i = info.channels; i < data.length; i += 1) sum += Math.abs((data[i] as number) - (data[i - info.channels] as number));
    return sum / data.length;
  };

  it('the pencil sketch is grey lines on white paper, at the output size', async () => {
    const { data, info } = await pixels(await referencePicture('pencil', photo, 256));
    expect([info.width, info.height]).toEqual([256, 256]);
    let light = 0;
    let dark = 0;
    for (let i = 0; i < data.length; i += info.channels) {
      expect(data[i + 1]).toBe(data[i]);
      expect(data[i + 2]).toBe(data[i]);
      if ((data[i] as number) > 200) light += 1;
      else if ((data[i] as number) < 120) dark += 1;
    }
    const n = data.length / info.channels;
    expect(light / n, 'paper').toBeGreaterThan(0.6);
    expect(dark / n, 'strokes').toBeGreaterThan(0.01);
  });

  it('the blurred photo keeps the colours and loses the detail', async () => {
    const blurred = await pixels(await referencePicture('blurred', photo, 512));
    const scaled = await pixels(await sharp(photo).removeAlpha().resize(512, 512, { fit: 'inside' }).png().toBuffer());
    expect([blurred.info.width, blurred.info.height, blurred.info.channels]).toEqual([512, 512, 3]);
    expect(detail(blurred)).toBeLessThan(detail(scaled) / 2);
    const mean = (p: Buffer) => p.reduce((s, v) => s + v, 0) / p.length;
    expect(Math.abs(mean(blurred.data) - mean(scaled.data))).toBeLessThan(2);
  });
});

describe("the judge's own noise (report.ts --jitter)", () => {
  it('changes a cartoon only by what no one sees: the same size, moved by one pixel, or re-saved as a JPEG of quality 95', async () => {
    const png = await sharp(readFileSync(new URL('../../dev/fixtures/astronaut.png', import.meta.url)))
      .removeAlpha()
      .png()
      .toBuffer();
    const original = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = original.info;
    const at = (data: Buffer, x: number, y: number, c: number) => data[(y * width + x) * channels + c] as number;
    expect(JITTERS.map((j) => j.label)).toEqual(['1 px right', '1 px down', 'JPEG 95']);
    for (const [j, [dx, dy]] of [
      [JITTERS[0], [1, 0]],
      [JITTERS[1], [0, 1]],
      [JITTERS[2], [0, 0]],
    ] as const) {
      const changed = await sharp(await j!.apply(png))
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([changed.info.width, changed.info.height, changed.info.channels], j!.label).toEqual([width, height, channels]);
      // Every pixel is where the original's pixel (x - dx, y - dy) was, within a JPEG's error.
      let worst = 0;
      let sum = 0;
      for (let y = dy; y < height; y += 1) {
        for (let x = dx; x < width; x += 1) {
          for (let c = 0; c < channels; c += 1) {
            const d = Math.abs(at(changed.data, x, y, c) - at(original.data, x - dx, y - dy, c));
            worst = Math.max(worst, d);
            sum += d;
          }
        }
      }
      const mean = sum / ((width - dx) * (height - dy) * channels);
      if (dx + dy > 0) expect(worst, j!.label).toBe(0);
      else expect(mean, j!.label).toBeLessThan(2);
    }
  });
});
