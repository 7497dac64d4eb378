/** A debug overlay: the faces the portrait pipeline found, boxed, with their keypoints. */
import sharp from 'sharp';
import type { FaceBox } from '../engine/index.ts';

export async function drawFaces(image: Buffer, faces: readonly FaceBox[]): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(image).metadata();
  const shapes = faces.map((f) => {
    const box = `<rect x="${f.x.toFixed(1)}" y="${f.y.toFixed(1)}" width="${f.width.toFixed(1)}" height="${f.height.toFixed(1)}" fill="none" stroke="#00e676" stroke-width="3"/>`;
    const dots = f.keypoints.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="#ff1744"/>`).join('');
    const crop = `<rect x="${f.region.x0}" y="${f.region.y0}" width="${f.region.x1 - f.region.x0}" height="${f.region.y1 - f.region.y0}" fill="none" stroke="#2979ff" stroke-width="1" stroke-dasharray="6 4"/>`;
    return box + dots + crop;
  });
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`);
  return sharp(image)
    .composite([{ input: svg, left: 0, top: 0 }])
    .png()
    .toBuffer();
}
