/**
 * Image input and output with sharp, hardened for photos from strangers: an allowlist of
 * formats, a pixel limit checked from the header before any pixel is decoded, EXIF orientation,
 * alpha flattened onto white, any colour space (grey, CMYK, 16-bit) to 8-bit sRGB, first frame of
 * animations.
 */
import sharp, { type Metadata } from 'sharp';
import { callSite, ToonError } from './errors.ts';
import type { OutputFormat } from './options.ts';

// libvips keeps recent operations and their pixels for reuse (up to 50 MB by default). Every
// photo a bot sees is new, so the cache only holds memory: off.
sharp.cache(false);

/** Formats accepted as input. SVG and PDF are refused: they can fetch, script or explode. */
const INPUT_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif'] as const;

export const MIME_TYPES: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

export interface ImageLimits {
  /** Largest accepted width x height of the (first frame of the) input. @default 40_000_000 */
  maxPixels: number;
  /** Largest accepted encoded size. @default 50 MiB */
  maxBytes: number;
  /**
   * Largest output long side as a multiple of the photo's (the requested size is lowered to it,
   * never below the smallest resolution), so that a tiny file cannot buy the largest job. @default 4
   */
  maxUpscale?: number;
}

/** The output's long side for a photo whose long side is `photoSide`: the request, within the upscaling limit. */
export function outputSide(requested: number, photoSide: number, limits: Pick<ImageLimits, 'maxUpscale'>, smallest: number): number {
  const most = Math.max(smallest, Math.round((limits.maxUpscale ?? DEFAULT_MAX_UPSCALE) * photoSide));
  return Math.min(requested, most);
}

export const DEFAULT_MAX_UPSCALE = 4;

interface ProbedImage {
  format: string;
  /** Upright size, EXIF orientation applied. */
  width: number;
  height: number;
}

/** An 8-bit interleaved RGB frame. */
export interface RgbFrame {
  data: Buffer;
  width: number;
  height: number;
  /** For a photo scaled to the frame: its own long side (px) before, where known (JobInput.sourceLong). */
  sourceLong?: number;
}

/**
 * Reads only the header: format, size, orientation. Cheap enough to run before a job joins the line.
 * @throws ToonError UNSUPPORTED_IMAGE, CORRUPT_IMAGE or IMAGE_TOO_LARGE
 */
export async function probeImage(input: Uint8Array, limits: ImageLimits): Promise<ProbedImage> {
  if (input.byteLength === 0) throw new ToonError('CORRUPT_IMAGE', { message: 'That file is empty.', detail: { bytes: 0 } });
  if (input.byteLength > limits.maxBytes) {
    throw new ToonError('IMAGE_TOO_LARGE', {
      message: `That file is too large (${formatMiB(input.byteLength)}); the limit is ${formatMiB(limits.maxBytes)}.`,
      detail: { bytes: input.byteLength, maxBytes: limits.maxBytes },
    });
  }
  const withStack = callSite();
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw decodeError(withStack(error));
  }
  const format = meta.format ?? 'unknown';
  if (!(INPUT_FORMATS as readonly string[]).includes(format)) {
    throw new ToonError('UNSUPPORTED_IMAGE', { detail: { format } });
  }
  const rawWidth = meta.width ?? 0;
  const rawHeight = meta.pageHeight ?? meta.height ?? 0;
  if (rawWidth <= 0 || rawHeight <= 0) throw new ToonError('CORRUPT_IMAGE', { detail: { format, reason: 'no size in header' } });
  if (rawWidth * rawHeight > limits.maxPixels) {
    throw new ToonError('IMAGE_TOO_LARGE', {
      message: `That image is too large (${rawWidth}x${rawHeight}); the limit is ${(limits.maxPixels / 1e6).toFixed(0)} megapixels.`,
      detail: { width: rawWidth, height: rawHeight, maxPixels: limits.maxPixels },
    });
  }
  const swap = (meta.orientation ?? 1) >= 5;
  return { format, width: swap ? rawHeight : rawWidth, height: swap ? rawWidth : rawHeight };
}

/** Output size for a requested long side, keeping the aspect ratio (each side at least 1 px). */
export function targetSize(width: number, height: number, longSide: number): { width: number; height: number } {
  if (width >= height) return { width: longSide, height: Math.max(1, Math.round((height * longSide) / width)) };
  return { width: Math.max(1, Math.round((width * longSide) / height)), height: longSide };
}

/**
 * Decodes to an upright sRGB frame of exactly `width` x `height`.
 * @throws ToonError CORRUPT_IMAGE (truncated or damaged data) or IMAGE_TOO_LARGE
 */
export async function decodeImage(input: Uint8Array, width: number, height: number, limits: ImageLimits): Promise<RgbFrame> {
  const withStack = callSite();
  try {
    const { data, info } = await sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error', pages: 1, page: 0 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new Error(`decoder returned ${info.width}x${info.height}x${info.channels}, wanted ${width}x${height}x3`);
    }
    return { data, width, height };
  } catch (error) {
    throw decodeError(withStack(error));
  }
}

/**
 * Encodes an RGB frame. Metadata is not carried over (no EXIF, no GPS). `quality`: a front end's
 * own JPEG or WebP quality (CartoonOptions.quality).
 */
export async function encodeImage(frame: RgbFrame, format: OutputFormat, quality?: number): Promise<Buffer> {
  const img = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } });
  switch (format) {
    case 'png':
      // Level 3 without adaptive filtering: on cartoons (flat areas) it is ~45% faster than
      // level 6 for ~4% more bytes (measured at 1024², see docs/BENCHMARKS.md).
      return img.png({ compressionLevel: 3, adaptiveFiltering: false }).toBuffer();
    case 'jpeg':
      return img.jpeg(quality === undefined ? { quality: 92, chromaSubsampling: '4:4:4' } : { quality, chromaSubsampling: '4:2:0' }).toBuffer();
    case 'webp':
      return img.webp({ quality: quality ?? 90, effort: 3 }).toBuffer();
  }
}

function decodeError(error: unknown): ToonError {
  if (error instanceof ToonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/unsupported image format/i.test(message)) return new ToonError('UNSUPPORTED_IMAGE', { cause: error });
  if (/exceeds pixel limit/i.test(message)) return new ToonError('IMAGE_TOO_LARGE', { cause: error });
  return new ToonError('CORRUPT_IMAGE', { cause: error });
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
