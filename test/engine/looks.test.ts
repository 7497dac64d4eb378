/**
 * The built-in looks besides toon (sketch, manga, comic): each offered and of its kind, the tone of
 * large areas followed by the ink's coverage (a grey ramp to a monotone ramp), the same look at
 * 512 and 2048, and patterns that line up across tiles.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type Engine } from '../../src/engine/expert.ts';
import { tiledAgainstWhole } from '../tiled.ts';
import { fixture, greyRamp, pixels, scene, sharedEngine } from '../helpers.ts';
import { maxChroma, type Raster } from '../../dev/metrics.ts';

const LOOKS = ['sketch', 'manga', 'comic'] as const;
let engine: Engine;
sharedEngine({ queue: { perRequester: 10 } }, (e) => (engine = e));

async function look(image: Buffer, style: string, resolution = 512, strength = 0.7): Promise<Raster> {
  return pixels((await engine.submit({ image, options: { style, resolution, strength } })).image);
}

/** Mean darkness (0 white .. 1 black) of each of `bands` vertical bands. */
function bandDarkness({ data, width, height }: Raster, bands: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < bands; b += 1) {
    let sum = 0;
    let n = 0;
    for (let y = 0; y < height; y += 1) {
      for (let x = Math.floor((b * width) / bands); x < Math.floor(((b + 1) * width) / bands); x += 1) {
        const i = (y * width + x) * 3;
        sum += 1 - ((data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number)) / 765;
        n += 1;
      }
    }
    out.push(sum / n);
  }
  return out;
}

/** Share of pixels that are near black or near white. */
function inkOrPaper({ data }: Raster): number {
  let n = 0;
  for (let i = 0; i < data.length; i += 3) if ((data[i] as number) < 40 || (data[i] as number) > 215) n += 1;
  return n / (data.length / 3);
}

describe('the other built-in looks', () => {
  it('are offered with their descriptions, and each is of its kind: manga black and white, sketch grey on paper, comic in colour', async () => {
    const styles = engine.styles();
    for (const id of LOOKS) expect(styles.find((s) => s.id === id)).toMatchObject({ license: 'Apache-2.0', portrait: true, descriptions: { zh: expect.any(String) } });
    const photo = fixture('astronaut.png');
    const [sketch, manga, comic] = await Promise.all(LOOKS.map((id) => look(photo, id)));
    expect(maxChroma((manga as Raster).data)).toBeLessThanOrEqual(2);
    expect(inkOrPaper(manga as Raster)).toBeGreaterThan(0.75);
    // Warm paper and grey graphite: a little tint, no colour of the photo.
    expect(maxChroma((sketch as Raster).data)).toBeLessThanOrEqual(8);
    expect(maxChroma((comic as Raster).data)).toBeGreaterThan(40);
  });

  it('strength means how far each look goes: sketch denser, comic more saturated, manga simpler', async () => {
    const photo = fixture('chelsea.png');
    const [sketchLow, sketchHigh, comicLow, comicHigh] = await Promise.all([
      look(photo, 'sketch', 512, 0.3),
      look(photo, 'sketch', 512, 1),
      look(photo, 'comic', 512, 0.3),
      look(photo, 'comic', 512, 1),
    ]);
    const darkness = (r: Raster) => bandDarkness(r, 1)[0] as number;
    expect(darkness(sketchHigh)).toBeGreaterThan(darkness(sketchLow) + 0.02);
    const meanChroma = ({ data }: Raster) => {
      let sum = 0;
      for (let i = 0; i < data.length; i += 3)
        sum += Math.max(data[i] as number, data[i + 1] as number, data[i + 2] as number) - Math.min(data[i] as number, data[i + 1] as number, data[i + 2] as number);
      return sum / (data.length / 3);
    };
    expect(meanChroma(comicHigh)).toBeGreaterThan(meanChroma(comicLow) * 1.1);
    // Manga: at full strength more of the picture is solid black or white, less is screentone.
    const [mangaLow, mangaHigh] = await Promise.all([look(photo, 'manga', 512, 0.3), look(photo, 'manga', 512, 1)]);
    const solid = ({ data, width, height }: Raster) => {
      // Pixels whose whole 3x3 neighbourhood is black or white: no dot nearby.
      let n = 0;
      for (let y = 1; y < height - 1; y += 1) {
        for (let x = 1; x < width - 1; x += 1) {
          const v = data[(y * width + x) * 3] as number;
          if (v > 30 && v < 225) continue;
          let same = true;
          for (let dy = -1; dy <= 1 && same; dy += 1) for (let dx = -1; dx <= 1; dx += 1) same &&= Math.abs((data[((y + dy) * width + x + dx) * 3] as number) - v) < 30;
          if (same) n += 1;
        }
      }
      return n / (width * height);
    };
    expect(solid(mangaHigh)).toBeGreaterThan(solid(mangaLow) + 0.05);
  });

  it.each(['manga', 'sketch'] as const)('%s: a grey ramp becomes a ramp of ink coverage: darker tone, more ink, never less', async (style) => {
    // Black on the left, white on the right.
    const image = await greyRamp(1024, 256);
    const dark = bandDarkness(await look(image, style, 1024), 16);
    for (let b = 1; b < dark.length; b += 1) expect(dark[b] as number, `band ${b}`).toBeLessThanOrEqual((dark[b - 1] as number) + 0.03);
    expect(dark[1] as number).toBeGreaterThan((dark[14] as number) + 0.4);
  });

  it.each(LOOKS)('%s looks the same at 512 and at 2048 shown small: patterns and radii follow the output size', { timeout: 120_000 }, async (style) => {
    const image = scene('fruits');
    const small = await look(image, style, 512);
    const large = await look(image, style, 2048);
    // Compared at 128 px wide, where a dot screen or hatching reads as its tone.
    const tone = async (r: Raster) =>
      sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } })
        .resize(128, undefined, { kernel: 'cubic' })
        .greyscale()
        .raw()
        .toBuffer();
    const [a, b] = await Promise.all([tone(small), tone(large)]);
    let sum = 0;
    for (let i = 0; i < a.length; i += 1) sum += Math.abs((a[i] as number) - (b[i] as number));
    expect(sum / a.length).toBeLessThan(14);
  });

  it("manga's screen lines up across tiles: tiled output equals the untiled one", async () => {
    const r = await tiledAgainstWhole('manga');
    expect(r.entry.manifest.io.origin).toBe('origin');
    expect(r.tiles).toBeGreaterThanOrEqual(6);
    // A dot's antialiased edge may round a level apart; nowhere is a dot out of place.
    expect(r.over(1)).toBeLessThan(r.values / 1000);
    expect(r.worst).toBeLessThanOrEqual(8);
  });
});
