/**
 * A before/after contact sheet of a batch (the report's gallery view): one row per image, the photo
 * on the left and the cartoon on the right, on white.
 */
import sharp, { type OverlayOptions } from 'sharp';

export interface SheetPair {
  before: Uint8Array;
  after: Uint8Array;
}

interface SheetOptions {
  /** Height of each thumbnail row, px. @default 320 */
  rowHeight?: number;
  /** Pairs per row of the sheet. @default 2 */
  columns?: number;
  gap?: number;
}

export async function contactSheet(pairs: readonly SheetPair[], options: SheetOptions = {}): Promise<Buffer> {
  if (pairs.length === 0) throw new RangeError('a contact sheet needs at least one pair');
  const rowHeight = options.rowHeight ?? 320;
  const columns = Math.min(options.columns ?? 2, pairs.length);
  const gap = options.gap ?? 12;
  const cell = rowHeight; // each thumbnail fits a rowHeight square
  const pairWidth = 2 * cell + gap;
  const rows = Math.ceil(pairs.length / columns);
  const width = columns * pairWidth + (columns + 1) * gap * 2;
  const height = rows * rowHeight + (rows + 1) * gap;
  const thumb = (img: Uint8Array): Promise<Buffer> => sharp(img).rotate().resize(cell, cell, { fit: 'contain', background: '#ffffff' }).flatten({ background: '#ffffff' }).png().toBuffer();

  const layers: OverlayOptions[] = [];
  for (const [i, pair] of pairs.entries()) {
    const left = 2 * gap + (i % columns) * (pairWidth + 2 * gap);
    const top = gap + Math.floor(i / columns) * (rowHeight + gap);
    layers.push({ input: await thumb(pair.before), left, top });
    layers.push({ input: await thumb(pair.after), left: left + cell + gap, top });
  }
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .jpeg({ quality: 88 })
    .toBuffer();
}
