/**
 * The README's pictures, made through the real engine at the defaults (strength 0.7, 1024 px) and
 * shown smaller:
 *
 *   npx tsx scripts/gallery.ts [--out docs]
 *
 * - before-after.jpg: the astronaut and the coffee, photo | toon;
 * - looks.jpg: a portrait and a scene, photo | toon | sketch | manga | comic;
 * - groups.jpg: the two composed group photos of scripts/likeness and a real one (friends.jpg), photo | every look;
 * - faces.jpg: one face close up in every look (a crop of the 1024 result, not shrunk).
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { encodeFrames, videoFrames } from '../src/engine/clip/ffmpeg.ts';
import { createEngine } from '../src/engine/expert.ts';
import { likenessPhotos } from './likeness/likeness.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs' }, only: { type: 'string' } } });
const FIXTURES = path.join(import.meta.dirname, '../dev/fixtures');
const LOOKS = ['toon', 'sketch', 'manga', 'comic'] as const;
const GAP = 6;

const engine = await createEngine({ queue: { perRequester: 100 } });
const cartoon = async (image: Buffer, style: string, resolution = 1024): Promise<Buffer> => (await engine.submit({ image, options: { style, resolution, format: 'png' } })).image;

/** Rows of pictures, each scaled to `height`, side by side with a white gap, as one JPEG. */
async function sheet(rows: Buffer[][], height: number, file: string): Promise<void> {
  const scaled = await Promise.all(rows.map((row) => Promise.all(row.map((img) => sharp(img).resize({ height }).png().toBuffer({ resolveWithObject: true })))));
  const width = Math.max(...scaled.map((row) => row.reduce((w, s) => w + s.info.width + GAP, -GAP)));
  const layers = scaled.flatMap((row, r) => {
    let x = 0;
    return row.map((s) => {
      const layer = { input: s.data, left: x, top: r * (height + GAP) };
      x += s.info.width + GAP;
      return layer;
    });
  });
  await sharp({ create: { width, height: rows.length * (height + GAP) - GAP, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .jpeg({ quality: 86, mozjpeg: true })
    .toFile(file);
  console.log(`wrote ${file}`);
}

/**
 * A clip before and after, side by side, as one small animated WebP: a 1.3 s pan across the lawn group photo
 * (15 fps), the cartoon made by the engine as a clip (the steadied frames a bot sends).
 */
async function clipGallery(file: string): Promise<void> {
  const group = (await likenessPhotos()).find((p) => p.name === 'group-lawn')?.image as Buffer;
  const [w, h, count, step] = [288, 240, 20, 3];
  const wide = await sharp(group).resize({ height: h }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const frames = Array.from({ length: count }, (_, t) => {
    const f = Buffer.alloc(w * h * 3);
    const x0 = Math.round((wide.info.width - w) / 2) - (count * step) / 2 + t * step;
    for (let y = 0; y < h; y += 1) wide.data.copy(f, y * w * 3, (y * wide.info.width + x0) * 3, (y * wide.info.width + x0 + w) * 3);
    return f;
  });
  const scratch = await mkdtemp(path.join(tmpdir(), 'toonbot-gallery-'));
  try {
    const input = path.join(scratch, 'in.mp4');
    await encodeFrames(each(frames), { width: w, height: h }, 15, 'mp4', input, { crf: 12 });
    const result = await engine.submit({ image: readFileSync(input), options: { style: 'toon', resolution: w }, clip: { format: 'mp4' } });
    const drawn: Buffer[] = [];
    await writeFile(path.join(scratch, 'out.mp4'), result.image);
    for await (const f of videoFrames(path.join(scratch, 'out.mp4'), { width: w, height: h, square: false, fps: 15, maxFrames: count })) drawn.push(f.data);
    const pairs = frames.map((before, t) => {
      const after = drawn[Math.min(t, drawn.length - 1)];
      if (!after) throw new Error('the cartoon clip has no frames');
      const row = Buffer.alloc((2 * w + GAP) * h * 3, 255);
      for (let y = 0; y < h; y += 1) {
        before.copy(row, y * (2 * w + GAP) * 3, y * w * 3, (y + 1) * w * 3);
        after.copy(row, (y * (2 * w + GAP) + w + GAP) * 3, y * w * 3, (y + 1) * w * 3);
      }
      return row;
    });
    // Animated WebP: the photo side's grass would make a GIF of megabytes.
    const pages = await Promise.all(
      pairs.map((row) =>
        sharp(row, { raw: { width: 2 * w + GAP, height: h, channels: 3 } })
          .png()
          .toBuffer(),
      ),
    );
    await sharp(pages, { join: { animated: true } })
      .webp({ quality: 55, effort: 6, delay: pages.map(() => 67), loop: 0 })
      .toFile(file);
    console.log(`wrote ${file}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function* each(frames: Buffer[]): AsyncGenerator<Buffer> {
  yield* frames;
}

try {
  await mkdir(values.out, { recursive: true });
  await clipGallery(path.join(values.out, 'clip.webp'));
  // --only clip: just the clip (the photos' sheets take a few minutes).
  if (values.only !== 'clip') {
    const astronaut = readFileSync(path.join(FIXTURES, 'astronaut.png'));
    const hopper = readFileSync(path.join(FIXTURES, 'hopper.jpg'));
    const coffee = readFileSync(path.join(FIXTURES, 'coffee.png'));
    const fruits = readFileSync(path.join(FIXTURES, 'scenes/fruits.jpg'));
    await sheet([[astronaut, await cartoon(astronaut, 'toon'), coffee, await cartoon(coffee, 'toon')]], 300, path.join(values.out, 'before-after.jpg'));
    const looksRow = async (photo: Buffer) => [photo, ...(await Promise.all(LOOKS.map((look) => cartoon(photo, look))))];
    await sheet([await looksRow(hopper), await looksRow(fruits)], 260, path.join(values.out, 'looks.jpg'));
    const groups = [...(await likenessPhotos()).filter((p) => p.name.startsWith('group')).map((g) => g.image), readFileSync(path.join(FIXTURES, 'friends.jpg'))];
    await sheet(await Promise.all(groups.map((g) => looksRow(g))), 170, path.join(values.out, 'groups.jpg'));
    // One face close up: the astronaut's, from the 1024 results, at 1:1.
    const close = async (img: Buffer) => sharp(img).extract({ left: 300, top: 70, width: 360, height: 400 }).png().toBuffer();
    const photo1024 = await sharp(astronaut).resize(1024).png().toBuffer();
    await sheet([[await close(photo1024), ...(await Promise.all(LOOKS.map(async (look) => close(await cartoon(astronaut, look)))))]], 300, path.join(values.out, 'faces.jpg'));
  }
} finally {
  await engine.close();
}
