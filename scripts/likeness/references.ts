/**
 * Reference pictures made from the photo without the engine, judged like the looks' cartoons, so
 * that the likeness figures can be read against them (scripts/likeness/report.ts --references):
 *
 * - `blurred`: the photo under a 6 px Gaussian blur (at a 1024 output, scaled with it), the
 *   issue's baseline: a look that keeps fewer eyes than this has blurred the person away.
 * - `pencil`: the classic pencil-sketch filter (the grey photo colour-dodged with its own blurred
 *   negative), a clean line drawing in which a person reads every eye. The judge keeps few of them
 *   (the Haar eye cascade looks for a photo's shading around an eye, and a line drawing on white
 *   paper has none), which says how far its verdict on the line looks (sketch, manga) can go.
 */
import sharp from 'sharp';

export const REFERENCES = ['blurred', 'pencil'] as const;
export type Reference = (typeof REFERENCES)[number];

/** The reference picture of `photo` at `side` px (long side), as PNG. */
export async function referencePicture(kind: Reference, photo: Uint8Array, side: number): Promise<Buffer> {
  const scaled = await sharp(photo).removeAlpha().resize(side, side, { fit: 'inside' }).toBuffer();
  const k = side / 1024;
  if (kind === 'blurred')
    return sharp(scaled)
      .blur(6 * k)
      .png()
      .toBuffer();
  // The dodge's blur sets the strokes' width: ~5 px at 1024, a pencil's line from arm's length.
  const grey = await sharp(scaled).greyscale().toColourspace('b-w').png().toBuffer();
  const negative = await sharp(grey)
    .negate()
    .blur(5 * k)
    .png()
    .toBuffer();
  return sharp(grey)
    .composite([{ input: negative, blend: 'colour-dodge' }])
    .toColourspace('srgb')
    .png()
    .toBuffer();
}
