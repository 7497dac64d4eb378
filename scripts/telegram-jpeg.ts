/**
 * Which JPEG to send Telegram as a photo reply, by measurement: Telegram re-encodes every photo it
 * receives as a JPEG of its own (long side at most 1280 px for a normal photo; its quality is not
 * published, 87 with 4:2:0 chroma is what its files show), so what the user sees is that second
 * JPEG. For cartoons of the test photos, at 1024 and 512, each candidate upload (JPEG at a quality
 * and chroma subsampling) is re-encoded the way Telegram does, and compared with what a lossless
 * PNG upload leaves after the same re-encoding:
 *
 *   npx tsx scripts/telegram-jpeg.ts
 *
 * Prints, per candidate: upload bytes (mean, and against PNG), and the PSNR (dB) of what the user
 * sees against what they would see from the PNG (higher: closer; above ~45 dB no difference is
 * visible), and against the cartoon itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createEngine, silentLogger } from '../src/engine/index.ts';

const FIXTURES = path.join(import.meta.dirname, '../dev/fixtures');
const PHOTOS = ['astronaut.png', 'hopper.jpg', 'coffee.png', 'chelsea.png', 'scenes/fruits.jpg', 'scenes/building.jpg', 'scenes/football.jpg', 'scenes/forest.jpg'];
/** Telegram's own re-encoding of a received photo (see above). */
const TELEGRAM = { maxSide: 1280, quality: 87, chroma: '4:2:0' } as const;

async function raw(image: Buffer): Promise<Buffer> {
  return sharp(image).removeAlpha().raw().toBuffer();
}

function psnr(a: Buffer, b: Buffer): number {
  let se = 0;
  for (let i = 0; i < a.length; i += 1) se += ((a[i] as number) - (b[i] as number)) ** 2;
  const mse = se / a.length;
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

async function telegramSees(upload: Buffer): Promise<Buffer> {
  const jpeg = await sharp(upload)
    .resize(TELEGRAM.maxSide, TELEGRAM.maxSide, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: TELEGRAM.quality, chromaSubsampling: TELEGRAM.chroma })
    .toBuffer();
  return raw(jpeg);
}

const engine = await createEngine({ logger: silentLogger, queue: { perRequester: 100 } });
const candidates = [
  ...[80, 85, 88, 90, 92, 95].map((q) => ({ name: `jpeg q${q} 4:2:0`, quality: q, chroma: '4:2:0' as const })),
  ...[85, 90, 92].map((q) => ({ name: `jpeg q${q} 4:4:4`, quality: q, chroma: '4:4:4' as const })),
];
for (const side of [1024, 512]) {
  const rows = new Map<string, { bytes: number[]; vsPng: number[]; vsCartoon: number[] }>();
  const png: { bytes: number[]; vsCartoon: number[] } = { bytes: [], vsCartoon: [] };
  for (const photo of PHOTOS) {
    const { image } = await engine.submit({ image: readFileSync(path.join(FIXTURES, photo)), options: { resolution: side, format: 'png' } });
    const cartoon = await raw(image);
    const fromPng = await telegramSees(image);
    png.bytes.push(image.length);
    png.vsCartoon.push(psnr(fromPng, cartoon));
    for (const c of candidates) {
      const upload = await sharp(image).jpeg({ quality: c.quality, chromaSubsampling: c.chroma }).toBuffer();
      const seen = await telegramSees(upload);
      const row = rows.get(c.name) ?? { bytes: [], vsPng: [], vsCartoon: [] };
      row.bytes.push(upload.length);
      row.vsPng.push(psnr(seen, fromPng));
      row.vsCartoon.push(psnr(seen, cartoon));
      rows.set(c.name, row);
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const pngBytes = mean(png.bytes);
  console.log(`\n${side} px (${PHOTOS.length} photos, toon): PNG upload ${Math.round(pngBytes / 1024)} KiB, what the user sees vs the cartoon ${mean(png.vsCartoon).toFixed(2)} dB`);
  console.log('| upload | KiB | of PNG | seen vs seen from PNG, dB (min) | seen vs cartoon, dB |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, r] of rows) {
    console.log(
      `| ${name} | ${Math.round(mean(r.bytes) / 1024)} | ${((100 * mean(r.bytes)) / pngBytes).toFixed(0)} % | ${mean(r.vsPng).toFixed(1)} (${Math.min(...r.vsPng).toFixed(1)}) | ${mean(r.vsCartoon).toFixed(2)} |`,
    );
  }
}
await engine.close();
