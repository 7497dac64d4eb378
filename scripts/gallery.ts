/**
 * The README's pictures, made through the real engine at the defaults (strength 0.7, 1024 px) and
 * shown smaller:
 *
 *   npx tsx scripts/gallery.ts [--out docs]
 *
 * - before-after.jpg: the astronaut and the coffee, photo | toon;
 * - looks.jpg: a portrait and a scene, photo | toon | sketch | manga | comic;
 * - groups.jpg: the two composed group photos of scripts/likeness, photo | every look;
 * - faces.jpg: one face close up in every look (a crop of the 1024 result, not shrunk).
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createEngine } from '../src/engine/expert.ts';
import { likenessPhotos } from './likeness/likeness.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs' } } });
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

try {
  await mkdir(values.out, { recursive: true });
  const astronaut = readFileSync(path.join(FIXTURES, 'astronaut.png'));
  const hopper = readFileSync(path.join(FIXTURES, 'hopper.jpg'));
  const coffee = readFileSync(path.join(FIXTURES, 'coffee.png'));
  const fruits = readFileSync(path.join(FIXTURES, 'scenes/fruits.jpg'));
  await sheet([[astronaut, await cartoon(astronaut, 'toon'), coffee, await cartoon(coffee, 'toon')]], 300, path.join(values.out, 'before-after.jpg'));
  const looksRow = async (photo: Buffer) => [photo, ...(await Promise.all(LOOKS.map((look) => cartoon(photo, look))))];
  await sheet([await looksRow(hopper), await looksRow(fruits)], 260, path.join(values.out, 'looks.jpg'));
  const groups = (await likenessPhotos()).filter((p) => p.name.startsWith('group'));
  await sheet(await Promise.all(groups.map((g) => looksRow(g.image))), 170, path.join(values.out, 'groups.jpg'));
  // One face close up: the astronaut's, from the 1024 results, at 1:1.
  const close = async (img: Buffer) => sharp(img).extract({ left: 300, top: 70, width: 360, height: 400 }).png().toBuffer();
  const photo1024 = await sharp(astronaut).resize(1024).png().toBuffer();
  await sheet([[await close(photo1024), ...(await Promise.all(LOOKS.map(async (look) => close(await cartoon(astronaut, look)))))]], 300, path.join(values.out, 'faces.jpg'));
} finally {
  await engine.close();
}
