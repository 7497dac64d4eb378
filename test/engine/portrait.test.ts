import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applySimilarity,
  createEngine,
  CROP_SIZE,
  cropSide,
  DEFAULT_MODELS_DIR,
  loadManifests,
  decodeImage,
  DEFAULT_ENGINE_CONFIG,
  FaceFinder,
  faceTurn,
  fitSimilarity,
  invert,
  pasteBack,
  probeImage,
  REFERENCE,
  warpCrop,
  type Engine,
  type Face,
  type FaceBox,
  type Point,
  type RgbFrame,
  type Similarity,
} from '../../src/engine/expert.ts';
import { likenessPhotos, realPhotos, type LikenessPhoto } from '../../scripts/likeness/likeness.ts';
import { FaceDetector } from '../../src/engine/faces/BlazeFace.ts';
import { silentLogger } from '../../src/engine/log.ts';
import { FACE_SIDES } from '../../src/modelgen/faceStyle.ts';
import { flatNeighbourhoodShare, toLab } from '../../dev/metrics.ts';
import { fixture, pixels, scene } from '../helpers.ts';

const limits = { maxPixels: 1e9, maxBytes: 1e9 };
let finder: FaceFinder;
let engine: Engine;

beforeAll(async () => {
  finder = await FaceFinder.open(DEFAULT_ENGINE_CONFIG.runtime);
  engine = await createEngine();
});
afterAll(async () => {
  await finder.dispose();
  await engine.close();
});

/** A picture's grey levels (the mean of R, G and B): at a point, and sorted over a box or a square around a point. */
async function greyLevels(image: Uint8Array) {
  const { data, width } = await pixels(image);
  const at = (x: number, y: number): number => {
    const i = (Math.round(y) * width + Math.round(x)) * 3;
    return ((data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number)) / 3;
  };
  const box = (x0: number, y0: number, x1: number, y1: number): number[] => {
    const values: number[] = [];
    for (let y = y0; y <= y1; y += 1) for (let x = x0; x <= x1; x += 1) values.push(at(x, y));
    return values.sort((a, b) => a - b);
  };
  const around = ([cx, cy]: readonly [number, number], r: number): number[] => box(cx - r, cy - r, cx + r, cy + r);
  /** The box's levels in reading order, not sorted (to compare two pictures pixel by pixel). */
  const raw = (x0: number, y0: number, x1: number, y1: number): number[] => {
    const values: number[] = [];
    for (let y = y0; y <= y1; y += 1) for (let x = x0; x <= x1; x += 1) values.push(at(x, y));
    return values;
  };
  return { at, box, around, raw };
}

async function facesIn(image: Buffer): Promise<{ faces: Face[]; width: number; height: number }> {
  const probed = await probeImage(image, limits);
  const frame = await decodeImage(image, probed.width, probed.height, limits);
  return { faces: await finder.find(frame), width: frame.width, height: frame.height };
}

describe('face detection (BlazeFace)', () => {
  it('finds exactly one face on the astronaut portrait, boxed around it, eyes in the upper half', async () => {
    const { faces } = await facesIn(fixture('astronaut.png'));
    expect(faces).toHaveLength(1);
    const [face] = faces as [Face];
    // Her face spans roughly x 170-290, y 60-200 in the 512x512 photo.
    expect(face.box.x).toBeGreaterThan(150);
    expect(face.box.x + face.box.width).toBeLessThan(310);
    expect(face.box.y).toBeGreaterThan(40);
    expect(face.box.y + face.box.height).toBeLessThan(220);
    for (const [x, y] of face.keypoints.slice(0, 2)) {
      expect(x).toBeGreaterThan(face.box.x);
      expect(x).toBeLessThan(face.box.x + face.box.width);
      expect(y).toBeGreaterThan(face.box.y);
      expect(y).toBeLessThan(face.box.y + face.box.height / 2);
    }
  });

  it.each(['chelsea.png', 'coffee.png'] as const)('finds no human face on %s, at any output size', async (name) => {
    expect((await facesIn(fixture(name))).faces).toEqual([]);
    for (const resolution of [256, 512, 1024, 2048]) {
      const result = await engine.submit({ image: fixture(name), options: { style: 'toon-portrait', resolution, strength: 0 } });
      expect(result.portrait?.faces, `${name} at ${resolution}`).toBe(0);
    }
  });

  it("finds the cameraman's profile at every output size, 2048 included, where each model alone scores it under the threshold", async () => {
    // Front 0.79-0.80, back 0.76-0.77 at every size: two models agreeing on the same place.
    const photo = fixture('cameraman.jpg');
    for (const side of [512, 1024, 2048]) {
      const { faces, width } = await facesIn(await sharp(photo).resize(side).png().toBuffer());
      expect(faces, `at ${side}`).toHaveLength(1);
      // His head: in the left half of the frame, 0.14-0.16 of its width.
      const face = faces[0] as Face;
      expect(face.box.x + face.box.width / 2, `at ${side}`).toBeLessThan(width / 2);
      expect(face.box.width / width, `at ${side}`).toBeGreaterThan(0.1);
      expect(face.box.width / width, `at ${side}`).toBeLessThan(0.25);
    }
    // Agreement is asked of both models: the cat and the scenes give no such pair at any size.
    for (const [name, image] of [['chelsea', fixture('chelsea.png')], ...(['squirrel', 'ladybird', 'fruits', 'building'] as const).map((n) => [n, scene(n)] as const)] as const)
      for (const side of [384, 768, 1536, 2048]) expect((await facesIn(await sharp(image).resize(side).png().toBuffer())).faces, `${name} at ${side}`).toEqual([]);
  });

  it('finds two faces in a collage of two portraits', async () => {
    const astro = fixture('astronaut.png');
    const collage = await sharp({ create: { width: 1024, height: 512, channels: 3, background: 'white' } })
      .composite([
        { input: astro, left: 0, top: 0 },
        { input: await sharp(astro).flop().toBuffer(), left: 512, top: 0 },
      ])
      .png()
      .toBuffer();
    const { faces } = await facesIn(collage);
    expect(faces).toHaveLength(2);
    const centres = faces.map((f) => f.box.x + f.box.width / 2).sort((a, b) => a - b);
    expect(centres[0]).toBeLessThan(512);
    expect(centres[1]).toBeGreaterThan(512);
  });

  it('finds the same face in a photo stored sideways with EXIF orientation 6', async () => {
    const astro = fixture('astronaut.png');
    const upright = (await facesIn(astro)).faces[0] as Face;
    const sideways = await sharp(await sharp(astro).rotate(-90).toBuffer())
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { faces, width, height } = await facesIn(sideways);
    expect([width, height]).toEqual([512, 512]);
    expect(faces).toHaveLength(1);
    const face = faces[0] as Face;
    expect(Math.abs(face.box.x - upright.box.x)).toBeLessThan(6);
    expect(Math.abs(face.box.y - upright.box.y)).toBeLessThan(6);
    expect(Math.abs(face.box.width - upright.box.width)).toBeLessThan(8);
  });

  it('runs the back model at any size: at 256² the same faces as the fixed graph, and a face moved inside a larger input is found moved by as much', async () => {
    const face = await sharp(fixture('astronaut.png')).resize(256, 256).removeAlpha().raw().toBuffer();
    const square: RgbFrame = { data: face, width: 256, height: 256 };
    // The package's graph as it is, against the one the finder runs (its fixed shapes made free)
    // for both of its back-model passes.
    const fixedGraph = await FaceDetector.open(DEFAULT_ENGINE_CONFIG.runtime, silentLogger, 'back');
    const fixed = await fixedGraph.detect(square);
    expect(finder.wide).toBe(finder.back);
    const any = await finder.wide.detectScaled(square, 256, 256);
    const letterboxed = await finder.back.detect(square);
    expect(fixed).toHaveLength(1);
    expect(any).toHaveLength(1);
    expect(letterboxed).toHaveLength(1);
    const [a, b, c] = [fixed[0] as Face, any[0] as Face, letterboxed[0] as Face];
    for (const k of ['x', 'y', 'width', 'height'] as const) {
      expect(Math.abs(a.box[k] - b.box[k])).toBeLessThan(0.01);
      expect(Math.abs(a.box[k] - c.box[k])).toBeLessThan(0.01);
    }
    // The same portrait at (96, 64) of a grey 470×340 input (not a multiple of 32 in either side).
    const big = await sharp({ create: { width: 470, height: 340, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([{ input: face, raw: { width: 256, height: 256, channels: 3 }, left: 96, top: 64 }])
      .removeAlpha()
      .raw()
      .toBuffer();
    const moved = await finder.wide.detectScaled({ data: big, width: 470, height: 340 }, 470, 340);
    expect(moved).toHaveLength(1);
    const m = moved[0] as Face;
    expect(Math.abs(m.box.x - 96 - a.box.x)).toBeLessThan(3);
    expect(Math.abs(m.box.y - 64 - a.box.y)).toBeLessThan(3);
    expect(Math.abs(m.box.width - a.box.width)).toBeLessThan(4);
    await expect(fixedGraph.detectScaled(square, 256, 256)).rejects.toThrow(/anySize/);
    await fixedGraph.dispose();
  });

  it('finds a small face in a large frame (the closer whole-frame pass)', async () => {
    const small = await sharp({ create: { width: 2400, height: 1600, channels: 3, background: { r: 120, g: 130, b: 140 } } })
      .composite([{ input: await sharp(fixture('astronaut.png')).resize(320).toBuffer(), left: 1500, top: 900 }])
      .png()
      .toBuffer();
    const { faces } = await facesIn(small);
    expect(faces).toHaveLength(1);
    expect((faces[0] as Face).box.x).toBeGreaterThan(1500);
  });

  it('takes a second look at a face every pass scores just under the threshold, and finds nothing more where there is no face', async () => {
    const photo = (name: string) => realPhotos().find((p) => p.name === name)?.image as Buffer;
    // Faces at 0.77-0.79 in every pass, 0.84-0.91 on a closer look (plain or mirrored), drawn
    // featureless by the whole frame's graph before: a woman under a fringe, half behind a
    // friend (her face's centre near (322, 213) at 1024); an older man in dim light (279, 313);
    // in the collage of 24 portraits, a turned head (961, 724).
    const cases: [string, number, [number, number]][] = [
      ['2008_007676', 7, [322, 213]],
      ['2008_002079', 6, [279, 313]],
      ['bald_guys', 24, [961, 724]],
    ];
    for (const [name, count, [x, y]] of cases) {
      const { faces } = await facesIn(await sharp(photo(name)).resize(1024, 1024, { fit: 'inside' }).png().toBuffer());
      expect(faces, name).toHaveLength(count);
      const near = faces.filter((f) => Math.abs(f.box.x + f.box.width / 2 - x) < 30 && Math.abs(f.box.y + f.box.height / 2 - y) < 30);
      expect(near, `${name}: the face at (${x}, ${y})`).toHaveLength(1);
    }
    // The collage at 384: 23 of its 24 faces (19 before; only its smallest is lost).
    expect((await facesIn(await sharp(photo('bald_guys')).resize(384, 384, { fit: 'inside' }).png().toBuffer())).faces).toHaveLength(23);
    // No face where there is none: the cat's face, a rocket and a desk are the only candidates a
    // second look sees on these at 512, 1024 and 2048, and it scores them 0.64 at most.
    for (const [name, image] of [['chelsea', fixture('chelsea.png')], ...(['rocket', 'desk', 'squirrel', 'cups'] as const).map((n) => [n, scene(n)] as const)] as const)
      for (const side of [512, 1024, 2048]) expect((await facesIn(await sharp(image).resize(side, side, { fit: 'inside' }).png().toBuffer())).faces, `${name} at ${side}`).toEqual([]);
  });
});

describe('alignment math', () => {
  const known: Similarity = (() => {
    const scale = 0.62;
    const angle = 0.35;
    return { a: scale * Math.cos(angle), b: scale * Math.sin(angle), tx: 213.5, ty: 87.25 };
  })();

  it('fits the transform that maps the reference points onto landmarks made with a known rotation, scale and shift', () => {
    const landmarks = REFERENCE.map((p) => applySimilarity(known, p));
    const fitted = fitSimilarity(REFERENCE, landmarks);
    for (const [i, p] of REFERENCE.entries()) {
      const [u, v] = applySimilarity(fitted, p);
      const [eu, ev] = landmarks[i] as Point;
      expect(Math.hypot(u - eu, v - ev)).toBeLessThan(0.5);
    }
    expect(fitted.a).toBeCloseTo(known.a, 6);
    expect(fitted.b).toBeCloseTo(known.b, 6);
    // And its inverse undoes it.
    const back = applySimilarity(invert(fitted), landmarks[2] as Point);
    expect(Math.hypot(back[0] - (REFERENCE[2] as Point)[0], back[1] - (REFERENCE[2] as Point)[1])).toBeLessThan(1e-6);
  });

  it('is a least-squares fit: noisy landmarks still land within half a pixel on average', () => {
    const noise: Point[] = [
      [0.4, -0.3],
      [-0.2, 0.5],
      [0.3, 0.2],
      [-0.5, -0.4],
    ];
    const landmarks = REFERENCE.map((p, i) => {
      const [u, v] = applySimilarity(known, p);
      return [u + (noise[i] as Point)[0], v + (noise[i] as Point)[1]] as Point;
    });
    const fitted = fitSimilarity(REFERENCE, landmarks);
    const err =
      REFERENCE.reduce((s, p, i) => {
        const [u, v] = applySimilarity(fitted, p);
        return s + Math.hypot(u - (landmarks[i] as Point)[0], v - (landmarks[i] as Point)[1]);
      }, 0) / REFERENCE.length;
    expect(err).toBeLessThan(0.5);
  });

  it('warping a crop out and back reproduces the centre region', () => {
    const size = 400;
    const data = Buffer.alloc(size * size * 3);
    for (let y = 0; y < size; y += 1) {
      for (let x = 0; x < size; x += 1) {
        const i = (y * size + x) * 3;
        data[i] = Math.round(127 + 100 * Math.sin(x / 23));
        data[i + 1] = Math.round(127 + 100 * Math.cos(y / 19));
        data[i + 2] = Math.round((x + y) / 4);
      }
    }
    const image: RgbFrame = { data, width: size, height: size };
    const t: Similarity = { a: 0.55, b: 0.2, tx: 90, ty: 120 };
    const crop = warpCrop(image, t);
    expect([crop.width, crop.height]).toEqual([CROP_SIZE, CROP_SIZE]);
    const target: RgbFrame = { data: Buffer.alloc(data.length), width: size, height: size };
    pasteBack(target, crop, new Float32Array(CROP_SIZE * CROP_SIZE).fill(1), t);
    // The crop's centre maps to image point t(144, 144); compare a 40x40 patch around it.
    const [cx, cy] = applySimilarity(t, [CROP_SIZE / 2, CROP_SIZE / 2]).map(Math.round) as Point;
    let worst = 0;
    for (let y = cy - 20; y < cy + 20; y += 1) {
      for (let x = cx - 20; x < cx + 20; x += 1) {
        for (let c = 0; c < 3; c += 1) worst = Math.max(worst, Math.abs((target.data[(y * size + x) * 3 + c] as number) - (data[(y * size + x) * 3 + c] as number)));
      }
    }
    expect(worst).toBeLessThanOrEqual(4);
  });
});

/** The grey level (mean of R, G and B) of pixel `i` of packed RGB bytes. */
function grey(d: Uint8Array, i: number): number {
  return ((d[i * 3] as number) + (d[i * 3 + 1] as number) + (d[i * 3 + 2] as number)) / 3;
}

/**
 * Whether a pixel is in the blend's feathered edge round a face (align.ts, ellipseMask: 0.8-1.0 of
 * the ellipse whose centre is 0.48 eye distances below the eyes, half axes 1.44 and 1.91 eye
 * distances across and along the face), from the face's eyes.
 */
function featherRing([eyeA, eyeB]: readonly [Point, Point]): (x: number, y: number) => boolean {
  const e = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
  const [ux, uy] = [(eyeB[0] - eyeA[0]) / e, (eyeB[1] - eyeA[1]) / e];
  const [down, side] =
    ux >= 0
      ? [
          [-uy, ux],
          [ux, uy],
        ]
      : [
          [uy, -ux],
          [-ux, -uy],
        ];
  const [dx, dy, sx, sy] = [down[0], down[1], side[0], side[1]] as [number, number, number, number];
  const [cx, cy] = [(eyeA[0] + eyeB[0]) / 2 + 0.48 * e * dx, (eyeA[1] + eyeB[1]) / 2 + 0.48 * e * dy];
  return (x, y) => {
    const [px, py] = [x - cx, y - cy];
    const d = Math.hypot((px * sx + py * sy) / (1.44 * e), (px * dx + py * dy) / (1.91 * e));
    return d >= 0.8 && d <= 1;
  };
}

describe('the face pass of the built-in looks', () => {
  /** The same looks with the face pass taken out: the whole-frame graphs alone. */
  let frameOnly: Engine;
  beforeAll(async () => {
    const models = (await loadManifests(DEFAULT_MODELS_DIR)).map(({ headFile: _f, headVariantFiles: _v, ...entry }) => {
      const { head: _head, aliases: _aliases, ...manifest } = entry.manifest;
      return { ...entry, manifest: { ...manifest, pipeline: 'full-frame' as const } };
    });
    frameOnly = await createEngine({ models });
  });
  afterAll(async () => {
    await frameOnly.close();
  });

  /** Dim and flash-lit faces: the friends in a bar, and 2008_001009 of the real likeness set (a woman and a girl in dim light). */
  function dimFlashFaces(): [string, Buffer][] {
    return [
      ['friends', fixture('friends.jpg')],
      ['2008_001009', realPhotos().find((p) => p.name === '2008_001009')?.image as Buffer],
    ];
  }

  /** The friends in a bar drawn at 2048 in `style`, with its face pass (a) and without (b, the page alone), and their three faces. */
  async function friendsAt2048(style: string) {
    const image = fixture('friends.jpg');
    const withFaces = await engine.submit({ image, options: { style, resolution: 2048 }, includeFaces: true });
    const full = await frameOnly.submit({ image, options: { style, resolution: 2048 } });
    const faces = withFaces.portrait?.boxes ?? [];
    expect(faces.length).toBe(3);
    return { faces, a: await pixels(withFaces.image), b: await pixels(full.image) };
  }

  for (const style of ['toon', 'manga']) {
    it(`${style}: returns the requested size, keeps the whole-frame drawing outside the faces and redraws the faces`, async () => {
      const image = fixture('astronaut.png');
      const withFaces = await engine.submit({ image, options: { style, strength: 1, resolution: 768 }, includeFaces: true });
      const full = await frameOnly.submit({ image, options: { style, strength: 1, resolution: 768 } });
      expect([withFaces.width, withFaces.height]).toEqual([768, 768]);
      expect(withFaces.portrait).toMatchObject({ faces: 1, noFace: false });
      const region = withFaces.portrait?.boxes?.[0]?.region;
      expect(region).toBeDefined();
      const a = (await pixels(withFaces.image)).data;
      const b = (await pixels(full.image)).data;
      let outsideDiffers = 0;
      let insideDiffers = 0;
      for (let y = 0; y < 768; y += 1) {
        for (let x = 0; x < 768; x += 1) {
          const i = (y * 768 + x) * 3;
          const same = a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2];
          const inside = region && x >= region.x0 && x <= region.x1 && y >= region.y0 && y <= region.y1;
          if (!inside && !same) outsideDiffers += 1;
          if (inside && !same) insideDiffers += 1;
        }
      }
      expect(outsideDiffers).toBe(0);
      expect(insideDiffers).toBeGreaterThan(2000);
    });
  }

  it('with no face, returns the whole-frame drawing and no "no face" note (a scene needs none)', async () => {
    const image = fixture('chelsea.png');
    const result = await engine.submit({ image, options: { style: 'toon', strength: 1, resolution: 777 } });
    const full = await frameOnly.submit({ image, options: { style: 'toon', strength: 1, resolution: 777 } });
    expect(result.portrait).toMatchObject({ faces: 0, noFace: false });
    expect([result.width, result.height]).toEqual([777, 517]);
    expect((await pixels(result.image)).data.equals((await pixels(full.image)).data)).toBe(true);
    expect(full.portrait).toBeUndefined();
  });

  it('the old name toon-portrait still works: it runs toon, and is not offered as a style of its own', async () => {
    const image = fixture('astronaut.png');
    const [alias, toon] = await Promise.all([engine.submit({ image, options: { style: 'toon-portrait', resolution: 256 } }), engine.submit({ image, options: { style: 'toon', resolution: 256 } })]);
    expect(alias.model).toBe('toon');
    expect((await pixels(alias.image)).data.equals((await pixels(toon.image)).data)).toBe(true);
    expect(engine.styles().map((s) => s.id)).not.toContain('toon-portrait');
    expect(engine.styles().find((s) => s.id === 'toon')?.aliases).toEqual(['toon-portrait']);
    expect(engine.parseOptions({ style: 'toon-portrait' }).style).toBe('toon-portrait');
  });

  it("paints toon skin in flat tones of the face's own colour, and keeps eyes, brows and teeth apart from it, on a light face and a dark one", async () => {
    const light = fixture('astronaut.png');
    // The same face much darker (as a darker skin or an underexposed photo shows it).
    const dark = await sharp(light).removeAlpha().linear([0.42, 0.36, 0.32], [0, 0, 0]).png().toBuffer();
    for (const [image, strength] of [
      [light, 0.7],
      [dark, 0.7],
      [light, 0],
    ] as const) {
      const result = await engine.submit({ image, options: { style: 'toon', resolution: 768, strength }, includeFaces: true });
      const box = result.portrait?.boxes?.[0];
      expect(box?.keypoints).toBeDefined();
      const [eyeA, eyeB, nose, mouth] = box?.keypoints as [[number, number], [number, number], [number, number], [number, number]];
      const { around } = await greyLevels(result.image);
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      // A cheek (below an eye, beside the nose): one flat tone, at most two, not a gradient.
      const cheek = around([(eyeA[0] + nose[0]) / 2 - span * 0.15, (eyeA[1] + mouth[1]) / 2], Math.round(span * 0.12));
      const skin = cheek[cheek.length >> 1] as number;
      const flat = cheek.filter((v) => Math.abs(v - skin) <= 3).length / cheek.length;
      if (strength === 0) {
        // The photo itself (strength 0): its skin is not flat, so the measure means something.
        expect(flat, "the photo's cheek").toBeLessThan(0.6);
        continue;
      }
      expect(flat, 'the cheek one flat tone').toBeGreaterThan(0.8);
      // Each eye has pixels far darker than the skin (iris, lids), the mouth pixels lighter (teeth).
      for (const eye of [eyeA, eyeB]) expect((around(eye, Math.round(span * 0.15))[0] as number) < skin - 40, 'a dark iris').toBe(true);
      const lips = around(mouth, Math.round(span * 0.2));
      expect((lips[lips.length - 1] as number) > skin + 12, 'teeth lighter than the skin').toBe(true);
    }
  });

  it('draws the brows as shapes of their own in toon and comic, as dark against the cheek as the photo has them, on a dim face too', async () => {
    // A brow a little darker than a dim face's skin was lifted with the skin's shadows and painted
    // in its cel tones: a faint patch or nothing (2008_001009's woman: 8 grey levels under the
    // cheek where the photo has 15; with its own shape, 34).
    for (const [name, image] of dimFlashFaces()) {
      const photo = await engine.submit({ image, options: { style: 'toon', resolution: 1024, strength: 0 }, includeFaces: true });
      for (const style of ['toon', 'comic'] as const) {
        const drawn = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
        const big = (drawn.portrait?.boxes ?? []).filter((b) => {
          const [a, c] = b.keypoints as [[number, number], [number, number]];
          return Math.hypot(c[0] - a[0], c[1] - a[1]) >= 70;
        });
        expect(big.length, `${name}: faces with eyes 70 px apart or more`).toBeGreaterThan(0);
        for (const face of big) {
          const [eyeA, eyeB, nose, mouth] = face.keypoints as [[number, number], [number, number], [number, number], [number, number]];
          const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
          // Up, across the eyes' line: the brows sit about a third of the eyes' distance above them.
          let [ux, uy] = [(eyeB[1] - eyeA[1]) / span, -(eyeB[0] - eyeA[0]) / span];
          if (uy > 0) [ux, uy] = [-ux, -uy];
          const r = Math.round(span * 0.1);
          /** The cheek's median less the brow's darker quarter, grey levels, mean of both sides. */
          const browContrast = async (image: Uint8Array) => {
            const { around } = await greyLevels(image);
            const side = (eye: [number, number]) => {
              const brow = around([eye[0] + ux * span * 0.32, eye[1] + uy * span * 0.32], r);
              const cheek = around([(eye[0] + nose[0]) / 2, (eye[1] + mouth[1]) / 2], r);
              return (cheek[cheek.length >> 1] as number) - (brow[brow.length >> 2] as number);
            };
            return (side(eyeA) + side(eyeB)) / 2;
          };
          const [inPhoto, inCartoon] = [await browContrast(photo.image), await browContrast(drawn.image)];
          expect(
            inCartoon,
            `${name}, ${style}, face at ${Math.round(face.x)},${Math.round(face.y)}: brows ${inCartoon.toFixed(0)} levels under the cheek, the photo ${inPhoto.toFixed(0)}`,
          ).toBeGreaterThanOrEqual(0.8 * inPhoto);
        }
      }
    }
  });

  it("draws the lit side's brow of a face lit from one side in toon and comic, as far under the forehead as the photo has it", async () => {
    // The collage's bald man (bald_guys, left of the middle) is lit from one side: the skin's mean
    // is pulled down by the shade, and the lit side's brow, no darker than that mean, was painted
    // and lifted as skin (58 grey levels under the forehead above it, where the photo has 73; 88
    // since a brow is also what is darker than the forehead above it, FACE_PARAMS.browAbove).
    const image = realPhotos().find((p) => p.name === 'bald_guys')?.image as Buffer;
    const photo = await engine.submit({ image, options: { style: 'toon', resolution: 1024, strength: 0 }, includeFaces: true });
    for (const style of ['toon', 'comic'] as const) {
      const drawn = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
      const span = (b: FaceBox) => {
        const [a, c] = b.keypoints as [[number, number], [number, number]];
        return Math.hypot(c[0] - a[0], c[1] - a[1]);
      };
      const faces = (drawn.portrait?.boxes ?? []).filter((b) => span(b) >= 50 && b.x < drawn.width / 2);
      expect(faces.length, 'the side-lit face, eyes 50 px apart or more, in the left half').toBe(1);
      const face = faces[0] as FaceBox;
      const [eyeA, eyeB] = face.keypoints as [[number, number], [number, number]];
      const d = span(face);
      let [ux, uy] = [(eyeB[1] - eyeA[1]) / d, -(eyeB[0] - eyeA[0]) / d];
      if (uy > 0) [ux, uy] = [-ux, -uy];
      const r = Math.round(d * 0.08);
      /** Per eye: the forehead's median above the brow less the brow's darker quarter, grey levels. */
      const browUnderForehead = async (picture: Uint8Array) => {
        const { around } = await greyLevels(picture);
        return [eyeA, eyeB].map((eye) => {
          const brow = around([eye[0] + ux * d * 0.3, eye[1] + uy * d * 0.3], r);
          const forehead = around([eye[0] + ux * d * 0.6, eye[1] + uy * d * 0.6], r);
          return (forehead[forehead.length >> 1] as number) - (brow[brow.length >> 2] as number);
        });
      };
      const [inPhoto, inCartoon] = [await browUnderForehead(photo.image), await browUnderForehead(drawn.image)];
      for (const i of [0, 1])
        expect(
          inCartoon[i] as number,
          `${style}, brow ${i + 1}: ${inCartoon.map(Math.round).join(', ')} levels under the forehead, the photo ${inPhoto.map(Math.round).join(', ')}`,
        ).toBeGreaterThanOrEqual(0.9 * (inPhoto[i] as number));
    }
  });

  it('lifts no shadow above the painted skin in toon and comic: no pale band where the dark hair or shade meets the cheek', async () => {
    // The dark at a temple has the skin's hue and was lifted with the skin's shadows, above the
    // cel's shadow tone: a pale band between the hair and the cheek (2008_001009's girl: 8-11 % of
    // the face box's dark pixels came out lighter than her painted cheek).
    for (const [name, image] of dimFlashFaces()) {
      for (const style of ['toon', 'comic'] as const) {
        const [drawn, photo] = await Promise.all([
          engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true }),
          engine.submit({ image, options: { style, resolution: 1024, strength: 0 } }),
        ]);
        const [out, inPhoto] = [await greyLevels(drawn.image), await greyLevels(photo.image)];
        for (const face of drawn.portrait?.boxes ?? []) {
          const [eyeA, eyeB, nose, mouth] = face.keypoints as [[number, number], [number, number], [number, number], [number, number]];
          // The cheeks' median grey, both sides.
          const cheek = (levels: Awaited<ReturnType<typeof greyLevels>>) => {
            const both = [eyeA, eyeB].flatMap((eye) => levels.around([(eye[0] + nose[0]) / 2, (eye[1] + mouth[1]) / 2], 4)).sort((a, b) => a - b);
            return both[both.length >> 1] as number;
          };
          const [cheekOut, cheekPhoto] = [cheek(out), cheek(inPhoto)];
          let dark = 0;
          let paler = 0;
          for (let y = Math.max(0, Math.round(face.y)); y < Math.min(drawn.height, face.y + face.height); y += 1)
            for (let x = Math.max(0, Math.round(face.x)); x < Math.min(drawn.width, face.x + face.width); x += 1) {
              if (inPhoto.at(x, y) > cheekPhoto - 20) continue;
              dark += 1;
              if (out.at(x, y) > cheekOut + 4) paler += 1;
            }
          expect(dark, `${name}: the face at ${Math.round(face.x)},${Math.round(face.y)} has dark pixels to look at`).toBeGreaterThan(1000);
          expect(paler / dark, `${name}, ${style}, face at ${Math.round(face.x)},${Math.round(face.y)}: dark pixels drawn paler than the cheek`).toBeLessThan(0.01);
        }
      }
    }
  });

  it("draws the dark around an eye in the ink's brown, not in the skin's red (Hopper's \"red almonds\")", async () => {
    // Mean chroma (CIELab) of the pixels darker than L* 40 around each eye: the lashes, the lid's
    // crease and the socket's shadow, a saturated red-brown in this photo.
    const darkChroma = async (style: string, strength: number): Promise<number> => {
      const result = await engine.submit({ image: fixture('hopper.jpg'), options: { style, resolution: 1024, strength }, includeFaces: true });
      const [eyeA, eyeB] = result.portrait?.boxes?.[0]?.keypoints as [[number, number], [number, number]];
      const { data, width, channels } = await pixels(result.image);
      expect(channels).toBe(3);
      const lab = toLab(data);
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      let [n, chroma] = [0, 0];
      for (const [ex, ey] of [eyeA, eyeB])
        for (let y = Math.round(ey - 0.15 * span); y <= ey + 0.15 * span; y += 1)
          for (let x = Math.round(ex - 0.35 * span); x <= ex + 0.35 * span; x += 1) {
            const i = (y * width + x) * 3;
            if ((lab[i] as number) >= 40) continue;
            n += 1;
            chroma += Math.hypot(lab[i + 1] as number, lab[i + 2] as number);
          }
      expect(n, `${style}: dark pixels around the eyes`).toBeGreaterThan(1000);
      return chroma / n;
    };
    const photo = await darkChroma('toon', 0);
    // Measured: the photo 36; toon 26 and comic 29 (were 34 and 38, comic's saturation on top).
    for (const style of ['toon', 'comic']) expect(await darkChroma(style, 0.7), style).toBeLessThan(0.85 * photo);
  });

  it('keeps the catchlight in each eye as a light dot inside the dark iris, in every look', async () => {
    // The astronaut's eyes each hold a 2 px reflection of the light. The Kuwahara passes erased
    // it: the iris came out a flat dark blob. Now a light pixel sits inside each iris, with the
    // iris's dark on both sides of it.
    const catchlights = async (style: string): Promise<number> => {
      const result = await engine.submit({ image: fixture('astronaut.png'), options: { style, resolution: 1024 }, includeFaces: true });
      const [eyeA, eyeB] = result.portrait?.boxes?.[0]?.keypoints as [[number, number], [number, number]];
      const { data, width, channels } = await pixels(result.image);
      const grey = (x: number, y: number) => {
        const i = (y * width + x) * channels;
        return ((data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number)) / 3;
      };
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      let found = 0;
      for (const [ex, ey] of [eyeA, eyeB]) {
        const r = Math.round(0.12 * span);
        let dot = false;
        for (let y = Math.round(ey) - r; y <= ey + r && !dot; y += 1)
          for (let x = Math.round(ex) - r; x <= ex + r && !dot; x += 1) {
            if (grey(x, y) < 200) continue;
            // Dark (the iris) within 4 px on the left and on the right, and above or below.
            const darkWithin = (dx: number, dy: number) => [1, 2, 3, 4].some((k) => grey(x + k * dx, y + k * dy) < 110);
            dot = darkWithin(-1, 0) && darkWithin(1, 0) && (darkWithin(0, -1) || darkWithin(0, 1));
          }
        if (dot) found += 1;
      }
      return found;
    };
    for (const style of ['toon', 'comic', 'sketch', 'manga']) expect(await catchlights(style), style).toBe(2);
  });

  it('fills the iris black in manga, as manga draws an eye', async () => {
    // The astronaut's light-brown irises came out as a grey square inside an outline.
    const result = await engine.submit({ image: fixture('astronaut.png'), options: { style: 'manga', resolution: 1024 }, includeFaces: true });
    const [eyeA, eyeB] = result.portrait?.boxes?.[0]?.keypoints as [[number, number], [number, number]];
    const { data, width, channels } = await pixels(result.image);
    // The share of solid black in a square round each eye's centre (the iris, with the lid's
    // line and the white beside it). Measured: 0.50 and 0.27 (0.34 and 0.15 before).
    const r = Math.round(0.08 * Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]));
    const shares = [eyeA, eyeB].map(([ex, ey]) => {
      let [black, n] = [0, 0];
      for (let y = Math.round(ey) - r; y <= ey + r; y += 1)
        for (let x = Math.round(ex) - r; x <= ex + r; x += 1) {
          n += 1;
          if ((data[(y * width + x) * channels] as number) < 60) black += 1;
        }
      return black / n;
    });
    for (const share of shares) expect(share).toBeGreaterThan(0.2);
    expect((shares[0] as number) + (shares[1] as number)).toBeGreaterThan(0.66);
  });

  /**
   * Round each face's eyes in one look at 1024, on portraits in studio light, darkened and warm
   * light, and three flash-lit faces: the mean of what is not ink (darker than `inkBelow`) in a
   * square round each eye (the socket, the lids, the white), and the lighter cheek's median under
   * the eyes, halfway down to the mouth (grey levels).
   */
  async function eyeShade(style: string, inkBelow: number): Promise<{ name: string; ring: number; lit: number }[]> {
    const dark = await sharp(fixture('astronaut.png')).removeAlpha().linear([0.42, 0.36, 0.32], [0, 0, 0]).png().toBuffer();
    const photos = { astronaut: fixture('astronaut.png'), darkened: dark, hopper: fixture('hopper.jpg'), friends: fixture('friends.jpg') };
    const out: { name: string; ring: number; lit: number }[] = [];
    for (const [name, image] of Object.entries(photos)) {
      const result = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
      const { at } = await greyLevels(result.image);
      for (const face of result.portrait?.boxes ?? []) {
        const [eyeA, eyeB, , mouth] = face.keypoints as [[number, number], [number, number], [number, number], [number, number]];
        const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
        const shade = ([ex, ey]: [number, number]) => {
          const r = Math.round(0.3 * span);
          const values: number[] = [];
          for (let y = -r; y <= r; y += 1) for (let x = -r; x <= r; x += 1) if (at(ex + x, ey + y) >= inkBelow) values.push(at(ex + x, ey + y));
          return values.reduce((a, v) => a + v, 0) / values.length;
        };
        const cheek = ([ex, ey]: [number, number]) => {
          const r = Math.round(0.12 * span);
          const cy = (ey + mouth[1]) / 2;
          const values: number[] = [];
          for (let y = -r; y <= r; y += 1) for (let x = -r; x <= r; x += 1) values.push(at(ex + x, cy + y));
          return values.sort((a, b) => a - b)[values.length >> 1] as number;
        };
        out.push({ name, ring: (shade(eyeA) + shade(eyeB)) / 2, lit: Math.max(cheek(eyeA), cheek(eyeB)) });
      }
    }
    return out;
  }

  it('manga draws the shade round the eyes in tone and leaves the lit skin white, in any light', async () => {
    // Manga's faces were white masks with thin line eyes: everything lighter than a fixed L* was
    // paper, so the sockets, the brow's shadow and a face's modelling were gone (the likeness
    // judge kept 46 of 94 eyes on real group photos). The face is now toned as if its skin were
    // at one lightness, and round the eyes and brows the tone starts nearer the skin.
    // Measured, round the eyes / the lit cheek: astronaut 198 / 255 (247 / 255 before), darkened
    // 137 / 176 (215 / 228), Hopper 184 / 247 (235 / 255), the friends' three flash-lit faces
    // 156, 139, 135 / 207-218 (225, 219, 212 / 255).
    const faces = await eyeShade('manga', 60);
    expect(faces.length).toBe(6);
    for (const { name, ring, lit } of faces) {
      expect(ring, `${name}: tone round the eyes`).toBeLessThan(205);
      expect(lit - ring, `${name}: the cheek lighter than round the eyes`).toBeGreaterThan(25);
      if (name === 'astronaut' || name === 'hopper') expect(lit, `${name}: the lit cheek left white`).toBeGreaterThan(240);
    }
  });

  it('sketch shades the sockets round the eyes in graphite, lighter cheeks below', async () => {
    // Sketch's skin is drawn near the paper; round the eyes and brows its shading now starts
    // nearer the skin's tone (the likeness judge kept 10 of 13 eyes on the composed set, now 13).
    // The cheek minus round the eyes, measured: 44, 39, 45, 42, 63, 62 (33, 16, 31, 25, 42, 40
    // before); the mean 49 (31).
    const faces = await eyeShade('sketch', 100);
    expect(faces.length).toBe(6);
    const mean = faces.reduce((a, { ring, lit }) => a + lit - ring, 0) / faces.length;
    expect(mean).toBeGreaterThan(40);
    for (const { name, ring, lit } of faces) expect(lit - ring, name).toBeGreaterThan(30);
  });

  it("leaves a face in a black-and-white photo unpainted: nothing grey beside it takes the skin's tone", async () => {
    // The cameraman: a profile behind a camera, in grey. With no skin colour, every grey was
    // "skin" to the cel paint and "a glint" to the glint paint: the camera's grip, the collar and
    // the nose's shadow came out as flat light patches (mean difference from the photo around the
    // nose 27 levels, around the mouth 21).
    const image = fixture('cameraman.jpg');
    for (const style of ['toon', 'comic']) {
      const result = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
      const box = result.portrait?.boxes?.[0];
      expect(box?.keypoints, style).toBeDefined();
      const [, , nose, mouth] = box?.keypoints as [number, number][];
      const drawn = await greyLevels(result.image);
      const photo = await greyLevels(await sharp(image).resize(1024).png().toBuffer());
      for (const [name, point, r] of [
        ['nose', nose, 0.21],
        ['mouth', mouth, 0.28],
      ] as const) {
        const radius = Math.round((box?.width as number) * r);
        const a = drawn.around(point as [number, number], radius);
        const b = photo.around(point as [number, number], radius);
        // Sorted levels compared rank by rank: how far the drawing's tones are from the photo's.
        const gap = a.reduce((sum, v, i) => sum + Math.abs(v - (b[i] as number)), 0) / a.length;
        expect(gap, `${style}, around the ${name}`).toBeLessThan(12);
      }
    }
  });

  it("keeps a profile's face drawing off what is in front of its nose (the cameraman's camera)", async () => {
    // The crop is fitted to frontal reference points: on a profile it reaches far in front of the
    // face, and the face pass drew the camera there as skin (sketch lifted it to paper white).
    const photo = fixture('cameraman.jpg');
    const mirrored = await sharp(photo).flop().png().toBuffer();
    for (const [style, image] of [
      ['sketch', photo],
      ['manga', photo],
      ['sketch', mirrored],
    ] as const) {
      const result = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
      const full = await frameOnly.submit({ image, options: { style, resolution: 1024 } });
      const box = result.portrait?.boxes?.[0];
      const [eyeA, eyeB, nose, mouth] = box?.keypoints as [[number, number], [number, number], [number, number], [number, number]];
      const w = box?.width as number;
      const a = (await pixels(result.image)).data;
      const b = (await pixels(full.image)).data;
      /** The share of the pixels in [x0, x1) x [y0, y1) where the two drawings differ. */
      const differs = (x0: number, y0: number, x1: number, y1: number) => {
        let n = 0;
        let d = 0;
        for (let y = Math.round(y0); y < Math.round(y1); y += 1) {
          for (let x = Math.round(x0); x < Math.round(x1); x += 1) {
            const i = (y * 1024 + x) * 3;
            n += 1;
            if (Math.abs((a[i] as number) - (b[i] as number)) > 2) d += 1;
          }
        }
        return d / n;
      };
      const top = Math.min(eyeA[1], eyeB[1]) - 0.2 * w;
      const bottom = mouth[1] + 0.2 * w;
      // Which way the face looks: where its nose is from its eyes.
      const ahead = Math.sign(nose[0] - (eyeA[0] + eyeB[0]) / 2);
      const span = (from: number, to: number): [number, number] => {
        const [p, q] = [nose[0] + ahead * from * w, nose[0] + ahead * to * w];
        return [Math.min(p, q), Math.max(p, q)];
      };
      const name = `${style}${image === mirrored ? ', mirrored' : ''}`;
      // The camera, from 0.15 to 0.35 face widths ahead of the nose: the whole frame's drawing
      // (the paste used to reach 0.3 ahead: 62-91 % of it differed in sketch, 40-71 % in manga).
      const [x0, x1] = span(0.15, 0.35);
      expect(differs(x0, top, x1, bottom), `${name}: ahead of the nose`).toBeLessThan(0.05);
      // The face itself, from behind the eyes to the nose: still the face pass's.
      const [f0, f1] = span(-0.6, 0);
      expect(differs(f0, top, f1, bottom), `${name}: the face`).toBeGreaterThan(0.3);
    }
  });

  it("keeps a three-quarter face's drawing off what is beyond its far cheek (a friend's white shirt)", async () => {
    // 2008_002079's young man looks a quarter turn aside (the nose 0.4 of the eyes' distance
    // ahead of their midpoint): his far cheek ends ~0.4 eye distances ahead of the nose. The paste
    // reached far past it, and toon and comic painted the white shirt beside him in his skin's
    // tones (in toon 88 % of the pixels 0.7-1 eye distances ahead of the nose differed from the
    // whole frame's drawing there; now none).
    const image = realPhotos().find((p) => p.name === '2008_002079')?.image as Buffer;
    for (const style of ['toon', 'comic', 'sketch', 'manga'] as const) {
      const [result, full] = await Promise.all([engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true }), frameOnly.submit({ image, options: { style, resolution: 1024 } })]);
      const [a, b] = [(await pixels(result.image)).data, (await pixels(full.image)).data];
      // He is at the photo's left edge; the older man behind him, turned too, is found since the
      // face finder's second look.
      const turned = (result.portrait?.boxes ?? []).filter((f) => faceTurn(f.keypoints) > 0.35 && f.x < 0.2 * result.width);
      expect(turned, 'one face turned a quarter to the right at the left edge').toHaveLength(1);
      const [eyeA, eyeB, nose, mouth] = (turned[0] as FaceBox).keypoints as [[number, number], [number, number], [number, number], [number, number]];
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      /** The share of the pixels between the eyes' and the mouth's rows, from..to eye distances right of the nose, where the two drawings differ. */
      const differs = (from: number, to: number) => {
        let [n, d] = [0, 0];
        for (let y = Math.round(Math.min(eyeA[1], eyeB[1])); y < Math.round(mouth[1]); y += 1)
          for (let x = Math.round(nose[0] + from * span); x < Math.round(nose[0] + to * span); x += 1) {
            const i = (y * result.width + x) * 3;
            n += 1;
            if (Math.abs((a[i] as number) - (b[i] as number)) > 2) d += 1;
          }
        return d / n;
      };
      expect(differs(0.7, 1), `${style}: beyond the far cheek`).toBeLessThan(0.15);
      expect(differs(-1.2, 0), `${style}: the face`).toBeGreaterThan(0.3);
    }
  });

  it("manga: the hair above a face keeps the page's screentone, dot for dot (no light smear at the hairline)", async () => {
    // The astronaut's fringe: the face pass drew it in the face's light flat tone, a light smear
    // where the blend met the page's dots. Now it lays the page's own dots there, on the page's grid.
    for (const resolution of [1024, 700]) {
      const image = fixture('astronaut.png');
      const withFaces = await engine.submit({ image, options: { style: 'manga', resolution }, includeFaces: true });
      const full = await frameOnly.submit({ image, options: { style: 'manga', resolution } });
      const [eyeA, eyeB] = withFaces.portrait?.boxes?.[0]?.keypoints as [[number, number], [number, number]];
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      const a = await greyLevels(withFaces.image);
      const b = await greyLevels(full.image);
      // The fringe: from the eyes' midpoint, 0.55-0.95 eye distances up, half an eye distance each side.
      const [cx, cy] = [(eyeA[0] + eyeB[0]) / 2, (eyeA[1] + eyeB[1]) / 2];
      const box = (g: typeof a) => g.raw(Math.round(cx - span / 2), Math.round(cy - 0.95 * span), Math.round(cx + span / 2), Math.round(cy - 0.55 * span));
      const [drawn, page] = [box(a), box(b)];
      const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
      // As dark as the page draws the hair (it was 111 levels lighter at both sizes; now 32 at 1024
      // and 60 at 700, where the page's dots are 3.5 px and the crop's resampling softens them)...
      expect(mean(drawn) - mean(page), `${resolution}: lighter than the page by`).toBeLessThan(resolution === 1024 ? 50 : 80);
      // ... and the same dots: pixel for pixel close to the page's (0.43 and 0.39 before; 0.74, 0.52).
      const close = drawn.filter((v, i) => Math.abs(v - (page[i] as number)) < 64).length / drawn.length;
      expect(close, `${resolution}: pixels within 64 levels of the page's`).toBeGreaterThan(resolution === 1024 ? 0.65 : 0.47);
    }
  });

  it("sketch: beyond a face's skin, the page's hatching goes on, stroke for stroke (no grey fog round the face)", async () => {
    // The friends in a bar, drawn at 2048 (a small photo, upsampled): dark hair and the dark bar
    // round each face are hatched on the page. The face pass drew what is beyond the skin in the
    // hatching's mean grey, and where the blend met the page the strokes faded into a fog, a ring
    // round each face. It now draws the page's own hatching there, on the page's grid.
    const { faces, a, b } = await friendsAt2048('sketch');
    const { width, height } = a;
    // The standard deviation of the grey levels over a 7x7 window: the hatching's contrast.
    const spread = (d: Uint8Array, x: number, y: number): number => {
      let [sum, sq] = [0, 0];
      for (let dy = -3; dy <= 3; dy += 1)
        for (let dx = -3; dx <= 3; dx += 1) {
          const v = grey(d, (y + dy) * width + x + dx);
          sum += v;
          sq += v * v;
        }
      return Math.sqrt(Math.max(0, sq / 49 - (sum / 49) ** 2));
    };
    const ratios: number[] = [];
    for (const face of faces) {
      const ring = featherRing(face.keypoints as [Point, Point]);
      let [drawn, page] = [0, 0];
      for (let y = 3; y < height - 3; y += 2) {
        for (let x = 3; x < width - 3; x += 2) {
          if (!ring(x, y)) continue;
          const onPage = spread(b.data, x, y);
          // Only where the page hatches (its strokes against the paper between them).
          if (onPage < 25) continue;
          drawn += spread(a.data, x, y);
          page += onPage;
        }
      }
      ratios.push(drawn / page);
    }
    // The drawing's hatching contrast over the page's there, per face: 0.96, 0.87, 0.95 (0.92,
    // 0.77, 0.81 with the mean grey). What is left is the skin's own smooth shade inside the ring.
    const mean = ratios.reduce((x, y) => x + y, 0) / ratios.length;
    expect(mean, 'mean contrast kept').toBeGreaterThan(0.88);
    for (const ratio of ratios) expect(ratio, 'contrast kept round each face').toBeGreaterThan(0.84);
  });

  it("manga: the dark beside a dim face stays the page's black (no grey ring round the face)", async () => {
    // The friends in a bar at 2048 (a small photo, upsampled), their faces dim against a black
    // bar: manga reads a face's tones as if its skin were at L* 80, and that lift moved the whole
    // crop, and the soft dark edge round a head (the skin's hue, far darker), so the black beside
    // each face came out grey, a glow round it where the blend met the page's black. Only the skin
    // moves now, and outside the face's oval only what is not far darker than the skin.
    const { faces, a, b } = await friendsAt2048('manga');
    const photo = await sharp(fixture('friends.jpg')).resize(a.width, a.height).removeAlpha().raw().toBuffer();
    const lighter: number[] = [];
    for (const face of faces) {
      const ring = featherRing(face.keypoints as [Point, Point]);
      let [sum, n] = [0, 0];
      for (let y = 0; y < a.height; y += 1)
        for (let x = 0; x < a.width; x += 1) {
          const i = y * a.width + x;
          // Where the photo is dark and the page black, in the blend's feathered edge round the face.
          if (grey(photo, i) > 40 || grey(b.data, i) > 30 || !ring(x, y)) continue;
          sum += grey(a.data, i) - grey(b.data, i);
          n += 1;
        }
      lighter.push(sum / n);
    }
    // How much lighter than the page's black the drawing is there, in grey levels, per face: 1.0,
    // 4.3 and 1.9 (1.6, 7.6 and 3.5 when the whole crop was lifted with the skin).
    for (const levels of lighter) expect(levels, 'lighter than the black beside the face by').toBeLessThan(5);
    expect(lighter.reduce((x, y) => x + y, 0) / lighter.length, 'on average').toBeLessThan(3);
  });

  it("manga: a dim face's forehead is drawn in the face's tone, not in the hair's dots", async () => {
    // The friends in a bar: their skin is dim (L* ~50), under the fixed L* 75 below which the
    // face pass took the page's screentone above the brows as hair, so each forehead was dotted
    // like the hair above it. Hair is now also what is darker than the face's skin.
    const result = await engine.submit({ image: fixture('friends.jpg'), options: { style: 'manga', resolution: 1024 }, includeFaces: true });
    const { raw } = await greyLevels(result.image);
    const faces = result.portrait?.boxes ?? [];
    expect(faces.length).toBe(3);
    for (const face of faces) {
      const [eyeA, eyeB] = face.keypoints as [[number, number], [number, number]];
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      // The forehead: from the eyes' midpoint 0.5-0.8 eye distances up, a third of one each side.
      const [cx, cy] = [(eyeA[0] + eyeB[0]) / 2, (eyeA[1] + eyeB[1]) / 2];
      const [x0, x1] = [Math.round(cx - span / 3), Math.round(cx + span / 3)];
      const values = raw(x0, Math.round(cy - 0.8 * span), x1, Math.round(cy - 0.5 * span));
      // Dots: neighbours far apart (a screentone alternates ink and paper every 2-3 px).
      let [jumps, pairs] = [0, 0];
      for (let i = 1; i < values.length; i += 1) {
        if (i % (x1 - x0 + 1) === 0) continue;
        pairs += 1;
        if (Math.abs((values[i] as number) - (values[i - 1] as number)) > 60) jumps += 1;
      }
      // Measured: 0 on each face (0.26, 0.30 and 0.29 before).
      expect(jumps / pairs, 'neighbours more than 60 levels apart').toBeLessThan(0.05);
    }
  });

  it('manga and sketch wash each cheek in one tone: no light discs where a dim or flash-lit photo has lighter patches', async () => {
    // Lighter patches a cheek wide (a flash's spots, a dim photo's blotches) were soft white
    // discs on the face's grey: in manga, of the cheeks' pixels, 22 % and 31 % were over 20 grey
    // levels lighter than their median on two of the friends' faces, 2 % on 2008_001009's woman.
    // Sketch kept them under the eyes, which its wash left out with the eyes' wide ellipses: 20 %
    // and 29 % on the friends' faces, 7 % at most since it washes up to the features themselves
    // (FACE_PARAMS.washTight).
    for (const [name, image, style] of dimFlashFaces().flatMap(([n, i]) => (['manga', 'sketch'] as const).map((st) => [n, i, st] as const))) {
      const result = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
      const { around } = await greyLevels(result.image);
      for (const face of result.portrait?.boxes ?? []) {
        const [eyeA, eyeB, nose, mouth] = face.keypoints as [[number, number], [number, number], [number, number], [number, number]];
        const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
        if (span < 50) continue;
        // Each cheek: below the eye, out from the nose, a square 0.4 eye distances wide.
        const cheeks = [eyeA, eyeB].flatMap((eye) => around([(eye[0] + nose[0]) / 2 + (eye[0] - nose[0]) * 0.3, (eye[1] + mouth[1]) / 2], Math.round(span * 0.2))).sort((a, b) => a - b);
        const median = cheeks[cheeks.length >> 1] as number;
        const light = cheeks.filter((v) => v > median + 20).length / cheeks.length;
        expect(light, `${name}, ${style}, face at ${Math.round(face.x)},${Math.round(face.y)}: cheek pixels 20 levels over their median`).toBeLessThan(0.1);
      }
    }
  });

  it("manga and sketch wash a flash-lit face's cheeks smoothly: its highlights and blotches are not white ovals", async () => {
    // The friends in a bar, lit by a flash: the cheeks' highlights and a small face's blotches
    // came out as white ovals on the face's grey. The plain skin's tone (cheeks and forehead, away
    // from the features) is now smoothed before the tones are drawn.
    // The standard deviation of the grey levels over a square on each cheek, mean of six:
    // manga 17.2 (22.0 before), sketch 15.2 (17.7).
    for (const [style, most] of [
      ['manga', 19.5],
      ['sketch', 16.5],
    ] as const) {
      const result = await engine.submit({ image: fixture('friends.jpg'), options: { style, resolution: 1024 }, includeFaces: true });
      const { raw } = await greyLevels(result.image);
      const spreads: number[] = [];
      for (const face of result.portrait?.boxes ?? []) {
        const [eyeA, eyeB, , mouth] = face.keypoints as [[number, number], [number, number], [number, number], [number, number]];
        const r = Math.round(0.18 * Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]));
        for (const [ex, ey] of [eyeA, eyeB]) {
          const [cx, cy] = [Math.round(ex), Math.round((ey + mouth[1]) / 2)];
          const values = raw(cx - r, cy - r, cx + r, cy + r);
          const mean = values.reduce((a, v) => a + v, 0) / values.length;
          spreads.push(Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length));
        }
      }
      expect(spreads.length, style).toBe(6);
      expect(spreads.reduce((a, v) => a + v, 0) / spreads.length, style).toBeLessThan(most);
    }
  });

  it('sketch draws a face near the paper, whatever its light, with its eyes in dark graphite', async () => {
    // Grace Hopper in warm studio light (a face the sketch drew as a grey mask), and the
    // astronaut made much darker.
    const hopper = fixture('hopper.jpg');
    const dark = await sharp(fixture('astronaut.png')).removeAlpha().linear([0.42, 0.36, 0.32], [0, 0, 0]).png().toBuffer();
    for (const image of [hopper, dark]) {
      const result = await engine.submit({ image, options: { style: 'sketch', resolution: 768 }, includeFaces: true });
      const [eyeA, eyeB, , mouth] = result.portrait?.boxes?.[0]?.keypoints as [[number, number], [number, number], [number, number], [number, number]];
      const { box, around } = await greyLevels(result.image);
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      // The face from the brows to the mouth, cheek to cheek: mostly skin, its median the skin's tone.
      const face = box(Math.round(Math.min(eyeA[0], eyeB[0]) - span * 0.3), Math.round(Math.min(eyeA[1], eyeB[1]) - span * 0.3), Math.max(eyeA[0], eyeB[0]) + span * 0.3, mouth[1]);
      const skin = face[face.length >> 1] as number;
      // The paper is ~244 grey.
      expect(skin, 'the face near the paper').toBeGreaterThan(200);
      for (const eye of [eyeA, eyeB]) expect((around(eye, Math.round(span * 0.15))[0] as number) < skin - 100, 'a dark iris').toBe(true);
    }
  });

  it('keeps the dark beyond the skin dark: no pale oval round a face on a night background, and a beard stays a beard', async () => {
    // Three friends in a bar, lit by a flash: black hair on a dark blue wall, one with a goatee.
    // The face pass lifted every dark of its crop toward the skin (meant for eye sockets), so
    // each face sat in a pale oval of lifted hair and wall, and the goatee came out as a light
    // grey smear.
    const image = fixture('friends.jpg');
    const looks = ['toon', 'comic', 'sketch', 'manga'] as const;
    for (const style of looks) {
      const result = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
      const full = await frameOnly.submit({ image, options: { style, resolution: 1024 } });
      const boxes = result.portrait?.boxes ?? [];
      expect(boxes, style).toHaveLength(3);
      const a = await greyLevels(result.image);
      const b = await greyLevels(full.image);
      const photo = await greyLevels(await sharp(image).resize(result.width, result.height, { fit: 'fill' }).png().toBuffer());
      for (const [n, face] of boxes.entries()) {
        // Round the face (a ring from 0.5 to 0.8 of its box from its centre), where the photo is
        // dark: drawn as the page draws it, not lighter (the oval) nor much darker.
        const [cx, cy] = [face.x + face.width / 2, face.y + face.height / 2];
        let [count, sum] = [0, 0];
        for (let y = Math.round(cy - 0.8 * face.height); y <= cy + 0.8 * face.height; y += 1) {
          for (let x = Math.round(cx - 0.8 * face.width); x <= cx + 0.8 * face.width; x += 1) {
            const r = Math.hypot((x - cx) / face.width, (y - cy) / face.height);
            if (r < 0.5 || r > 0.8 || x < 0 || y < 0 || x >= result.width || y >= result.height || photo.at(x, y) >= 40) continue;
            count += 1;
            sum += a.at(x, y) - b.at(x, y);
          }
        }
        expect(count, `${style}, face ${n}: dark round it`).toBeGreaterThan(2000);
        expect(Math.abs(sum / count), `${style}, face ${n}: the dark round it against the page's drawing of it`).toBeLessThan(12);
      }
      if (style === 'toon' || style === 'comic') {
        // The goatee: below the mouth of the face whose chin is darkest in the photo.
        const chins = boxes.map((face) => {
          const mouth = face.keypoints[3] as [number, number];
          const [x, y, r] = [mouth[0], mouth[1] + 0.3 * face.width, Math.round(0.08 * face.width)];
          const mean = (g: typeof a) => g.box(Math.round(x - r), Math.round(y - r), Math.round(x + r), Math.round(y + r)).reduce((t, v, _, all) => t + v / all.length, 0);
          return { photo: mean(photo), cartoon: mean(a) };
        });
        const beard = chins.reduce((d, c) => (c.photo < d.photo ? c : d));
        expect(beard.photo, 'the goatee in the photo').toBeLessThan(60);
        expect(beard.cartoon, `${style}: the goatee drawn dark`).toBeLessThan(beard.photo + 20);
      }
    }
  });

  it("paints the shadow a hard light casts under a nose in the skin's shadow tone in toon and comic, not as a dark blob", async () => {
    // The collage of press portraits from the real likeness set (scripts/likeness): studio and
    // stage light, dark shadows under the noses. The cel skin left a shadow far darker than its
    // limits in its own drawing: a dark brown blob under the nose, as dark as the photo's.
    const image = realPhotos().find((p) => p.name === 'bald_guys')?.image as Buffer;
    const photo = await greyLevels(await sharp(image).resize(1024, undefined).png().toBuffer());
    for (const style of ['toon', 'comic'] as const) {
      const result = await engine.submit({ image, options: { style, resolution: 1024 }, includeFaces: true });
      expect(result.width).toBe(1024);
      const cartoon = await greyLevels(result.image);
      const lifts: number[] = [];
      for (const face of result.portrait?.boxes ?? []) {
        // Between the nose and the mouth, nearer the nose: the 20th percentile of the grey levels.
        const nose = face.keypoints[2] as [number, number];
        const mouth = face.keypoints[3] as [number, number];
        const at: [number, number] = [Math.round((nose[0] + mouth[0]) / 2), Math.round(nose[1] + (mouth[1] - nose[1]) * 0.4)];
        const r = Math.round(0.1 * face.width);
        const p20 = (levels: number[]) => levels[Math.floor(levels.length * 0.2)] as number;
        const dark = p20(photo.around(at, r));
        if (dark < 55) lifts.push(p20(cartoon.around(at, r)) - dark);
      }
      // Six faces have such a shadow; drawn in their own darkness they came out -7 to +16 levels
      // from the photo's, +2 on average; in the shadow tone +19 to +99.
      expect(lifts.length, style).toBeGreaterThanOrEqual(5);
      for (const lift of lifts) expect(lift, `${style}: a shadow under a nose, against the photo's`).toBeGreaterThan(10);
      expect(lifts.reduce((a, b) => a + b, 0) / lifts.length, `${style}: the mean`).toBeGreaterThan(20);
    }
  });

  it("paints a flash-lit face's skin flat in toon and comic: its highlights and blotches join the skin's tones", async () => {
    // Flash on olive skin: bright, yellower patches on the forehead and cheeks, blotches on a
    // small face. They were left in their own light colour, a scatter of islands on every face.
    const image = fixture('friends.jpg');
    // The mean share over the three faces at 1024 and 512 was 0.75 and 0.58 in toon, 0.71 and
    // 0.54 in comic; 0.80 / 0.66 and 0.76 / 0.61 with the plain skin's wider limits (celPlain).
    // Since the sockets, lids and brows keep their shadow shapes (celEyeShadowAt: the eyes of
    // small faces in real group photos), the inner face box holds those shapes too: 0.755 / 0.604
    // and 0.717 / 0.562, against 0.742 / 0.570 and 0.702 / 0.523 without celPlain. Since the
    // eyes' darks take more contrast than their lights (eyeDarkContrast), the eyes in that box are
    // drawn firmer: 0.743 / 0.619 and 0.708 / 0.580 now, against 0.729 / 0.584 and 0.693 / 0.540
    // without celPlain. The floors sit between.
    const floors = { toon: [0.736, 0.6], comic: [0.7, 0.56] } as const;
    for (const style of ['toon', 'comic'] as const) {
      for (const resolution of [1024, 512]) {
        const result = await engine.submit({ image, options: { style, resolution }, includeFaces: true });
        const { data, width } = await pixels(result.image);
        const shares = (result.portrait?.boxes ?? []).map((face) => {
          // The inner face, away from hair and background (as the likeness judge measures it).
          const [x0, y0] = [Math.round(face.x + face.width / 6), Math.round(face.y + face.height / 6)];
          const [w, h] = [Math.round(face.width * (2 / 3)), Math.round(face.height * (17 / 24))];
          const inner = new Uint8Array(w * h * 3);
          for (let y = 0; y < h; y += 1) inner.set(data.subarray(((y0 + y) * width + x0) * 3, ((y0 + y) * width + x0 + w) * 3), y * w * 3);
          return flatNeighbourhoodShare({ data: inner, width: w, height: h });
        });
        expect(shares, `${style} at ${resolution}`).toHaveLength(3);
        const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
        expect(mean, `${style} at ${resolution}: the skin's flat share`).toBeGreaterThan(floors[style][resolution === 1024 ? 0 : 1]);
      }
    }
  });

  /** The astronaut's RGB pixels at its own size (a copy to paint on), and where its face's eyes and mouth are. */
  async function astronautFace() {
    const photo = await sharp(fixture('astronaut.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { width, height } = photo.info;
    const plain = await engine.submit({ image: fixture('astronaut.png'), options: { style: 'toon', resolution: width }, includeFaces: true });
    const [eyeA, eyeB, , mouth] = plain.portrait?.boxes?.[0]?.keypoints as [[number, number], [number, number], [number, number], [number, number]];
    return { data: Buffer.from(photo.data), width, height, eyeA, mouth, span: Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]) };
  }

  it('paints a glint on the cheek as skin in toon and comic, and keeps the teeth light', async () => {
    const { data, width, height, eyeA, mouth, span } = await astronautFace();
    // A flash's highlight on the left cheek: the skin there mixed 3:2 with white, a round spot
    // 0.16 of the eyes' span across.
    const [cx, cy] = [eyeA[0] - 0.1 * span, (eyeA[1] + mouth[1]) / 2 + 0.05 * span];
    const r = 0.08 * span;
    for (let y = Math.floor(cy - r); y <= cy + r; y += 1) {
      for (let x = Math.floor(cx - r); x <= cx + r; x += 1) {
        if (Math.hypot(x - cx, y - cy) > r) continue;
        for (let c = 0; c < 3; c += 1) data[(y * width + x) * 3 + c] = Math.round((data[(y * width + x) * 3 + c] as number) * 0.4 + 255 * 0.6);
      }
    }
    const glinted = await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    for (const style of ['toon', 'comic']) {
      const result = await engine.submit({ image: glinted, options: { style, resolution: width } });
      const { at, around } = await greyLevels(result.image);
      // The spot's median against the cheek's just beside it (the same ring outside the spot).
      const spot = around([cx, cy], Math.round(r * 0.6));
      const cheek = [at(cx - 2 * r, cy), at(cx + 2 * r, cy), at(cx, cy - 2 * r), at(cx, cy + 2 * r)].sort((a, b) => a - b);
      const spotLevel = spot[spot.length >> 1] as number;
      const cheekLevel = ((cheek[1] as number) + (cheek[2] as number)) / 2;
      expect(spotLevel - cheekLevel, `${style}: the glint painted as the cheek`).toBeLessThan(12);
      // The teeth, as light as the photo's, lighter than the skin, are not painted.
      const teeth = around(mouth, Math.round(0.12 * span));
      expect((teeth[Math.floor(teeth.length * 0.9)] as number) - cheekLevel, `${style}: the teeth`).toBeGreaterThan(25);
    }
  });

  it('paints a shadow on the skin as a rounded shape in toon and comic, not a box', async () => {
    // The cel skin cleans its shadow tone of islands with square windows (an opening and a
    // closing); its shapes kept their corners, and the shadow beside a nose or a mouth came out as
    // a rectangle. A square shadow on the cheek (the skin darkened to 0.65) is now painted with
    // its corners rounded: a corner's pixel takes the cheek's light tone, the middle the shadow's.
    const { data, width, height, eyeA, mouth, span } = await astronautFace();
    const [cx, cy] = [eyeA[0] - 0.05 * span, (eyeA[1] + mouth[1]) / 2 + 0.05 * span];
    const half = Math.round(0.2 * span);
    for (let y = Math.round(cy) - half; y <= cy + half; y += 1)
      for (let x = Math.round(cx) - half; x <= cx + half; x += 1) for (let c = 0; c < 3; c += 1) data[(y * width + x) * 3 + c] = Math.round((data[(y * width + x) * 3 + c] as number) * 0.65);
    const shaded = await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    for (const style of ['toon', 'comic']) {
      const result = await engine.submit({ image: shaded, options: { style, resolution: width } });
      const { at } = await greyLevels(result.image);
      const inset = Math.max(1, Math.round(0.03 * span));
      const middle = at(cx, cy);
      const cheek = at(cx, cy + half + 2 * inset);
      const corners = [-1, 1].flatMap((sx) => [-1, 1].map((sy) => at(Math.round(cx) + sx * (half - inset), Math.round(cy) + sy * (half - inset))));
      // Measured, grey levels: toon middle 135, cheek 192, corners 181-192 (135-192 before: two
      // of them shadow); comic 134, 192, 168-188 (134-184).
      expect(cheek - middle, `${style}: the square painted in the shadow tone`).toBeGreaterThan(30);
      for (const corner of corners) expect(corner, `${style}: a corner rounded off`).toBeGreaterThan((cheek + middle) / 2);
    }
  });

  it("draws the chin in the face's own hand: sketch's hatching and manga's screentone start below it", async () => {
    for (const style of ['sketch', 'manga']) {
      const result = await engine.submit({ image: fixture('hopper.jpg'), options: { style, resolution: 768 }, includeFaces: true });
      const [eyeA, eyeB, , mouth] = result.portrait?.boxes?.[0]?.keypoints as [[number, number], [number, number], [number, number], [number, number]];
      const { at } = await greyLevels(result.image);
      const span = Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]);
      // The chin: 0.7 to 0.9 of the eyes' span below the mouth, as wide as the mouth. Hatching and
      // screentone change by more than 40 levels within 3x3 px almost everywhere (0.75-0.77 of the
      // band when the face's paste faded out over the chin); the face pass's flat skin does not.
      let textured = 0;
      let all = 0;
      for (let y = Math.round(mouth[1] + 0.7 * span); y < mouth[1] + 0.9 * span; y += 1) {
        for (let x = Math.round(mouth[0] - 0.3 * span); x <= mouth[0] + 0.3 * span; x += 1) {
          let [lo, hi] = [255, 0];
          for (let dy = -1; dy <= 1; dy += 1) for (let dx = -1; dx <= 1; dx += 1) [lo, hi] = [Math.min(lo, at(x + dx, y + dy)), Math.max(hi, at(x + dx, y + dy))];
          all += 1;
          if (hi - lo > 40) textured += 1;
        }
      }
      expect(textured / all, `${style}: texture on the chin`).toBeLessThan(0.45);
    }
  });

  it("looks for a small photo's faces at the photo's own size when it is drawn larger: at 2048 the faces found at 1024", async () => {
    // 2008_007676 is 500 px wide. At a 2048 output it is four times enlarged, and the woman under a
    // fringe, found at 1024, scored 0.64-0.67 in every pass there: lost, and drawn featureless.
    // An enlarged photo is searched at its own size, but at 1024 at least (FaceFinder, UPSCALED_FROM).
    const image = realPhotos().find((p) => p.name === '2008_007676')?.image as Buffer;
    const at = (side: number) => engine.submit({ image, options: { style: 'toon', resolution: side, strength: 0 }, includeFaces: true });
    const [small, large] = [await at(1024), await at(2048)];
    const [inSmall, inLarge] = [small.portrait?.boxes ?? [], large.portrait?.boxes ?? []];
    expect(inSmall, 'at 1024').toHaveLength(7);
    expect(inLarge, 'at 2048').toHaveLength(7);
    // The same faces, in the same places (at 2048 the photo is drawn at most four times its size: 2000 px).
    const k = large.width / small.width;
    const centre = (f: FaceBox): [number, number] => [f.x + f.width / 2, f.y + f.height / 2];
    for (const f of inSmall) {
      const [x, y] = centre(f);
      expect(
        inLarge.filter((g) => Math.abs(centre(g)[0] - k * x) < 20 && Math.abs(centre(g)[1] - k * y) < 20),
        `the face at (${Math.round(x)}, ${Math.round(y)}) at 1024`,
      ).toHaveLength(1);
    }
  });

  it('draws each face at its own scale: the crop side follows the face (finer below a 1024 output)', () => {
    expect(cropSide({ kind: 'face', sides: FACE_SIDES }, { a: 60 / CROP_SIZE, b: 0, tx: 0, ty: 0 })).toBe(72);
    const sides = [144, 204, 288, 408, 576];
    // A face whose reference crop spans `native` px of the photo.
    const aligned = (native: number): Similarity => ({ a: native / CROP_SIZE, b: 0, tx: 0, ty: 0 });
    expect(cropSide({ kind: 'face', sides }, aligned(60))).toBe(144);
    expect(cropSide({ kind: 'face', sides }, aligned(250))).toBe(288);
    // From 288 px on a face is sampled at most 5 % finer than the photo (the astronaut's at 1024: 343).
    expect(cropSide({ kind: 'face', sides }, aligned(343))).toBe(288);
    expect(cropSide({ kind: 'face', sides }, aligned(380))).toBe(288);
    expect(cropSide({ kind: 'face', sides }, aligned(390))).toBe(408);
    expect(cropSide({ kind: 'face', sides }, aligned(570))).toBe(576);
    expect(cropSide({ kind: 'face', sides }, aligned(2000))).toBe(576);
    // Below a 1024 output a small face is sampled up to 1.7x finer (its eyes a dozen px there).
    expect(cropSide({ kind: 'face', sides: FACE_SIDES }, aligned(80), 1024)).toBe(72);
    expect(cropSide({ kind: 'face', sides: FACE_SIDES }, aligned(80), 512)).toBe(102);
    expect(cropSide({ kind: 'face', sides: FACE_SIDES }, aligned(130), 512)).toBe(204);
    expect(cropSide({ kind: 'face', sides: FACE_SIDES }, aligned(130), 1023)).toBe(204);
    expect(cropSide({ kind: 'face', sides: FACE_SIDES }, aligned(130), 2048)).toBe(144);
    // ... but no finer than a face of 288 px.
    expect(cropSide({ kind: 'face', sides: FACE_SIDES }, aligned(250), 512)).toBe(288);
    expect(cropSide({ kind: 'fixed' }, aligned(60))).toBe(CROP_SIZE);
    expect(cropSide({ kind: 'native' }, aligned(200))).toBe(200);
  });

  it('finds and draws every face of a group photo, the smallest ~45 px wide at a 1024 output', async () => {
    const group = (await likenessPhotos()).find((p) => p.name === 'group-street') as LikenessPhoto;
    const result = await engine.submit({ image: group.image, options: { style: 'comic', resolution: 1024 }, includeFaces: true });
    expect(result.portrait?.faces).toBe(6);
    const widths = (result.portrait?.boxes ?? []).map((b) => b.width);
    expect(Math.min(...widths)).toBeLessThan(60);
  });

  it('finds every face of a group photo at a 512 output too, the smallest ~37 px wide, and draws it with its features', async () => {
    const group = (await likenessPhotos()).find((p) => p.name === 'group-lawn') as LikenessPhoto;
    const [drawn, photo] = await Promise.all([
      engine.submit({ image: group.image, options: { style: 'toon', resolution: 512 }, includeFaces: true }),
      engine.submit({ image: group.image, options: { style: 'toon', resolution: 512, strength: 0 }, includeFaces: true }),
    ]);
    expect(drawn.portrait?.faces).toBe(5);
    const smallest = (drawn.portrait?.boxes ?? []).reduce((a, b) => (b.width < a.width ? b : a));
    expect(smallest.width).toBeLessThan(40);
    // Drawn, not blank: the darkest px by each eye is far darker than the face's median, as in the photo.
    const [eyeA, eyeB] = smallest.keypoints as [[number, number], [number, number]];
    const contrast = async (image: Uint8Array) => {
      const { box, around } = await greyLevels(image);
      const face = box(smallest.x, smallest.y, smallest.x + smallest.width - 1, smallest.y + smallest.height - 1);
      const median = face[face.length >> 1] as number;
      const darkest = (eye: [number, number]) => around(eye, 2)[0] as number;
      return median - (darkest(eyeA) + darkest(eyeB)) / 2;
    };
    const [inPhoto, inCartoon] = [await contrast(photo.image), await contrast(drawn.image)];
    console.log(`smallest face at 512: eyes ${inCartoon.toFixed(0)} levels darker than the skin (${inPhoto.toFixed(0)} in the photo)`);
    expect(inCartoon).toBeGreaterThan(Math.min(20, inPhoto / 2));
  });
});
