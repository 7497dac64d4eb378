import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeImage, probeImage, targetSize } from '../../src/engine/expert.ts';
import { failsWith, fixture, pixels, pngHeaderClaiming, solid } from '../helpers.ts';

const limits = { maxPixels: 40_000_000, maxBytes: 50 * 1024 * 1024 };

async function decodeWhole(image: Buffer) {
  const probed = await probeImage(image, limits);
  return { probed, frame: await decodeImage(image, probed.width, probed.height, limits) };
}

describe('probeImage and decodeImage', () => {
  it('every EXIF orientation comes out upright when decoded smaller (shrink-on-load with the turn), as turning first then resizing gives', async () => {
    const photo = await sharp(fixture('coffee.png')).resize(400, 266).removeAlpha().toBuffer();
    for (let orientation = 1; orientation <= 8; orientation += 1) {
      const tagged = await sharp(photo).jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
      const probed = await probeImage(tagged, limits);
      const size = targetSize(probed.width, probed.height, 128);
      const frame = await decodeImage(tagged, size.width, size.height, limits);
      const expected = await sharp(tagged).rotate().resize(size.width, size.height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
      expect([frame.width, frame.height], `orientation ${orientation}`).toEqual([size.width, size.height]);
      let diff = 0;
      for (let i = 0; i < expected.length; i += 1) diff += Math.abs((expected[i] as number) - (frame.data[i] as number));
      expect(diff / expected.length, `orientation ${orientation}`).toBeLessThan(3);
    }
  });

  it('applies EXIF orientation: a landscape JPEG tagged "rotate 90" comes out portrait', async () => {
    // Left half red, right half blue, stored 40x20, tagged orientation 6 (rotate 90° clockwise).
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y += 1) for (let x = 0; x < 40; x += 1) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { probed, frame } = await decodeWhole(jpeg);
    expect(probed).toMatchObject({ format: 'jpeg', width: 20, height: 40 });
    expect([frame.width, frame.height]).toEqual([20, 40]);
    // After turning clockwise, the red (left) half is on top.
    const top = frame.data.subarray((5 * 20 + 10) * 3, (5 * 20 + 10) * 3 + 3);
    const bottom = frame.data.subarray((35 * 20 + 10) * 3, (35 * 20 + 10) * 3 + 3);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
  });

  it('flattens transparency onto white', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    const { frame } = await decodeWhole(png);
    expect(frame.data.length).toBe(8 * 8 * 3);
    expect([...frame.data].every((v) => v === 255)).toBe(true);
  });

  it('turns greyscale into three equal sRGB channels', async () => {
    const grey = await sharp(Buffer.alloc(36, 90), { raw: { width: 6, height: 6, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const { frame } = await decodeWhole(grey);
    expect(frame.data.length).toBe(6 * 6 * 3);
    expect([frame.data[0], frame.data[1], frame.data[2]]).toEqual([90, 90, 90]);
  });

  it('converts CMYK to sRGB, keeping the colour', async () => {
    const cmyk = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 30 } } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const { frame } = await decodeWhole(cmyk);
    const [r, g, b] = frame.data;
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);
  });

  it.each(['gif', 'webp'] as const)('uses the first frame of an animated %s', async (format) => {
    const frames = [await solid(10, 10, [255, 0, 0]), await solid(10, 10, [0, 0, 255])];
    const animated = await sharp(frames, { join: { animated: true } })
      [format]()
      .toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(2);
    const { probed, frame } = await decodeWhole(animated);
    expect([probed.width, probed.height]).toEqual([10, 10]);
    expect(frame.data[0]).toBeGreaterThan(200);
    expect(frame.data[2]).toBeLessThan(60);
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    const bomb = pngHeaderClaiming(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    const error = await failsWith(probeImage(bomb, limits), 'IMAGE_TOO_LARGE');
    expect(error.message).toBe('That image is too large (100000x100000); the limit is 40 megapixels.');
    // And if someone skips the probe, the decoder's own limit still holds.
    await failsWith(decodeImage(bomb, 100, 100, limits), 'IMAGE_TOO_LARGE');
  });

  it('honours a configured pixel limit and byte limit', async () => {
    const photo = await solid(100, 100, [1, 2, 3]);
    await failsWith(probeImage(photo, { ...limits, maxPixels: 9_999 }), 'IMAGE_TOO_LARGE');
    await expect(probeImage(photo, { ...limits, maxPixels: 10_000 })).resolves.toMatchObject({ width: 100, height: 100 });
    const error = await failsWith(probeImage(photo, { ...limits, maxBytes: 10 }), 'IMAGE_TOO_LARGE');
    expect(error.message).toMatch(/too large .*the limit is/);
  });

  it('fails a truncated JPEG or PNG with CORRUPT_IMAGE', async () => {
    const jpeg = await sharp(fixture('coffee.png')).jpeg().toBuffer();
    const cutJpeg = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const probed = await probeImage(cutJpeg, limits);
    await failsWith(decodeImage(cutJpeg, probed.width, probed.height, limits), 'CORRUPT_IMAGE');
    const png = fixture('chelsea.png');
    const cutPng = png.subarray(0, Math.floor(png.length / 2));
    await failsWith(decodeImage(cutPng, 451, 300, limits), 'CORRUPT_IMAGE');
  });

  it('fails a zero-byte file with CORRUPT_IMAGE and text or SVG with UNSUPPORTED_IMAGE', async () => {
    expect((await failsWith(probeImage(Buffer.alloc(0), limits), 'CORRUPT_IMAGE')).message).toBe('That file is empty.');
    await failsWith(probeImage(Buffer.from('hello, this is not a photo'), limits), 'UNSUPPORTED_IMAGE');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    const error = await failsWith(probeImage(svg, limits), 'UNSUPPORTED_IMAGE');
    expect(error.detail.format).toBe('svg');
  });

  it('resizes to exactly the requested size', async () => {
    const frame = await decodeImage(fixture('chelsea.png'), 300, 200, limits);
    expect([frame.width, frame.height, frame.data.length]).toEqual([300, 200, 300 * 200 * 3]);
  });
});

describe('targetSize', () => {
  it('gives the long side exactly and keeps the aspect ratio', () => {
    expect(targetSize(451, 300, 1024)).toEqual({ width: 1024, height: 681 });
    expect(targetSize(300, 451, 1024)).toEqual({ width: 681, height: 1024 });
    expect(targetSize(512, 512, 2048)).toEqual({ width: 2048, height: 2048 });
    expect(targetSize(10_000, 3, 256)).toEqual({ width: 256, height: 1 });
  });
});

describe('encodeImage', () => {
  it.each([
    ['png', 'png'],
    ['jpeg', 'jpeg'],
    ['webp', 'webp'],
  ] as const)('writes %s', async (format, expected) => {
    const frame = { data: Buffer.alloc(30 * 20 * 3, 120), width: 30, height: 20 };
    const out = await encodeImage(frame, format);
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({ format: expected, width: 30, height: 20 });
  });

  it("writes a front end's own JPEG quality as a photo does (4:2:0 chroma), and full chroma by default", async () => {
    const data = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 37) % 256));
    const frame = { data, width: 64, height: 64 };
    const own = await encodeImage(frame, 'jpeg', 60);
    const standard = await encodeImage(frame, 'jpeg');
    expect((await sharp(own).metadata()).chromaSubsampling).toBe('4:2:0');
    expect((await sharp(standard).metadata()).chromaSubsampling).toBe('4:4:4');
    expect(own.length).toBeLessThan(standard.length);
  });

  it('writes PNG losslessly', async () => {
    const data = Buffer.from(Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256));
    const out = await encodeImage({ data, width: 5, height: 4 }, 'png');
    expect((await pixels(out)).data.equals(data)).toBe(true);
  });
});
