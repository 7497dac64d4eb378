/**
 * Makes a result fit a platform's upload limit instead of failing: the same picture as JPEG, then
 * WebP, then JPEG at smaller sizes; a clip compressed harder, then smaller. Returns the original
 * when it already fits.
 */
import sharp from 'sharp';
import { shrinkClip } from '../../engine/index.ts';
import { ToonError } from './errors.ts';

interface Fitted {
  image: Buffer;
  format: 'png' | 'jpeg' | 'webp' | 'mp4' | 'gif';
  width: number;
  height: number;
  /** True when the image had to be re-encoded or shrunk. */
  changed: boolean;
}

/** @param options.reencode make a JPEG even when the original fits (a platform refused it as it is) */
export async function fitSize(image: Buffer, format: Fitted['format'], width: number, height: number, maxBytes: number, options: { reencode?: boolean } = {}): Promise<Fitted> {
  if (image.length <= maxBytes && !options.reencode) return { image, format, width, height, changed: false };
  // A clip is compressed harder, then made smaller, its motion kept (in ffmpeg's process).
  if (format === 'mp4' || format === 'gif') {
    const smaller = await shrinkClip(image, format, width, height, maxBytes);
    if (!smaller) throw new ToonError('DELIVERY_FAILED', { detail: { bytes: image.length, maxBytes } });
    return { ...smaller, format, changed: true };
  }
  const jpeg = await sharp(image).jpeg({ quality: 90 }).toBuffer();
  if (jpeg.length <= maxBytes) return { image: jpeg, format: 'jpeg', width, height, changed: true };
  const webp = await sharp(image).webp({ quality: 85 }).toBuffer();
  if (webp.length <= maxBytes) return { image: webp, format: 'webp', width, height, changed: true };
  for (let scale = 0.75; ; scale *= 0.75) {
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const smaller = await sharp(image).resize(w, h).jpeg({ quality: 85 }).toBuffer();
    if (smaller.length <= maxBytes || Math.max(w, h) <= 64) return { image: smaller, format: 'jpeg', width: w, height: h, changed: true };
  }
}
