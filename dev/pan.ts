/** A camera panning across a photo, as raw RGB frames: for the clip tests and the clip benchmark. */
import sharp from 'sharp';

/**
 * `count` frames of `width`x`height`, each `step` px further right across `photo` (resized to
 * cover the whole pan; `position` says which part of it stays when it is cut to the height).
 */
export async function panFrames(photo: Buffer, width: number, height: number, { step, count, position }: { step: number; count: number; position?: string }): Promise<Buffer[]> {
  const wideWidth = width + count * step;
  const wide = await sharp(photo)
    .resize(wideWidth, height, { fit: 'cover', ...(position ? { position } : {}) })
    .removeAlpha()
    .raw()
    .toBuffer();
  return Array.from({ length: count }, (_, t) => {
    const frame = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y += 1) wide.copy(frame, y * width * 3, (y * wideWidth + t * step) * 3, (y * wideWidth + t * step + width) * 3);
    return frame;
  });
}
