/**
 * Image measures the tests use to check what a person would see: the built-in style's colour
 * drift, flatness, ink and specks, in CIELab (D65, exact sRGB transfer).
 */

/** Interleaved RGB (0..255) to interleaved CIELab (L* 0..100, a*, b*). */
export function toLab(rgb: Uint8Array): Float32Array {
  const lin = new Float32Array(256);
  for (let v = 0; v < 256; v += 1) {
    const c = v / 255;
    lin[v] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const r = lin[rgb[i] as number] as number;
    const g = lin[rgb[i + 1] as number] as number;
    const b = lin[rgb[i + 2] as number] as number;
    const fx = f((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047);
    const fy = f(0.2126729 * r + 0.7151522 * g + 0.072175 * b);
    const fz = f((0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883);
    out[i] = 116 * fy - 16;
    out[i + 1] = 500 * (fx - fy);
    out[i + 2] = 200 * (fy - fz);
  }
  return out;
}

export interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Colour drift: after a blur of `blurSigma` px on both, the mean CIELab a*b* distance between the
 * result and the photo's chroma times one saturation gain k (least squares, clipped to 1..1.5).
 * A uniform saturation boost costs nothing; hue shifts and patches do.
 */
export function chromaDrift(photoBlurred: Raster, resultBlurred: Raster): { drift: number; gain: number } {
  const p = toLab(photoBlurred.data);
  const r = toLab(resultBlurred.data);
  let num = 0;
  let den = 0;
  for (let i = 0; i < p.length; i += 3) {
    num += (p[i + 1] as number) * (r[i + 1] as number) + (p[i + 2] as number) * (r[i + 2] as number);
    den += (p[i + 1] as number) ** 2 + (p[i + 2] as number) ** 2;
  }
  const gain = Math.min(1.5, Math.max(1, den > 0 ? num / den : 1));
  let sum = 0;
  for (let i = 0; i < p.length; i += 3) sum += Math.hypot((r[i + 1] as number) - gain * (p[i + 1] as number), (r[i + 2] as number) - gain * (p[i + 2] as number));
  return { drift: sum / (p.length / 3), gain };
}

/** Share of pixels whose 3x3 neighbourhood spans less than `below` (0..255) in its worst channel. */
export function flatNeighbourhoodShare({ data, width, height }: Raster, below = 8): number {
  let flat = 0;
  let counted = 0;
  for (let y = 1; y < height - 1; y += 1) {
    for (let x = 1; x < width - 1; x += 1) {
      let worst = 0;
      for (let c = 0; c < 3; c += 1) {
        let lo = 255;
        let hi = 0;
        for (let dy = -1; dy <= 1; dy += 1) {
          for (let dx = -1; dx <= 1; dx += 1) {
            const v = data[((y + dy) * width + x + dx) * 3 + c] as number;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
        }
        worst = Math.max(worst, hi - lo);
      }
      counted += 1;
      if (worst < below) flat += 1;
    }
  }
  return flat / counted;
}

/** Ink: pixels that are dark (L* < 30) and at least 15 L* darker than in the photo. */
export function inkMask(photo: Raster, result: Raster): Uint8Array {
  const p = toLab(photo.data);
  const r = toLab(result.data);
  const mask = new Uint8Array(result.width * result.height);
  for (let i = 0; i < mask.length; i += 1) {
    const lr = r[i * 3] as number;
    if (lr < 30 && (p[i * 3] as number) - lr >= 15) mask[i] = 1;
  }
  return mask;
}

/** Of the ink pixels, the share in 8-connected blobs smaller than `minArea` pixels. */
export function speckShare(mask: Uint8Array, width: number, height: number, minArea: number): number {
  return inkShareIn(mask, width, height, ({ area }) => area < minArea);
}

/** Share of set pixels in a mask. */
export function share(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n / mask.length;
}

/** Largest CIELab chroma (hypot of a*, b*) in an image. */
export function maxChroma(rgb: Uint8Array): number {
  const lab = toLab(rgb);
  let worst = 0;
  for (let i = 0; i < lab.length; i += 3) worst = Math.max(worst, Math.hypot(lab[i + 1] as number, lab[i + 2] as number));
  return worst;
}

/** Mean CIELab distance (ΔE76) between two images of the same size. */
export function meanDeltaE(a: Uint8Array, b: Uint8Array): number {
  const la = toLab(a);
  const lb = toLab(b);
  let sum = 0;
  for (let i = 0; i < la.length; i += 3) sum += Math.hypot((la[i] as number) - (lb[i] as number), (la[i + 1] as number) - (lb[i + 1] as number), (la[i + 2] as number) - (lb[i + 2] as number));
  return sum / (la.length / 3);
}

/** 8-connected pieces of a mask: each piece's pixel count and bounding-box diagonal (px). */
function pieces(mask: Uint8Array, width: number, height: number): { area: number; diagonal: number }[] {
  const seen = new Uint8Array(mask.length);
  const stack: number[] = [];
  const out: { area: number; diagonal: number }[] = [];
  for (let start = 0; start < mask.length; start += 1) {
    if (!mask[start] || seen[start]) continue;
    seen[start] = 1;
    stack.push(start);
    let area = 0;
    let [x0, y0, x1, y1] = [width, height, 0, 0];
    while (stack.length > 0) {
      const i = stack.pop() as number;
      area += 1;
      const x = i % width;
      const y = (i - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy += 1) {
        for (let dx = -1; dx <= 1; dx += 1) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const j = ny * width + nx;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    out.push({ area, diagonal: Math.hypot(x1 - x0 + 1, y1 - y0 + 1) });
  }
  return out;
}

/** Of the ink pixels, the share in the 8-connected pieces that `pick` takes. */
function inkShareIn(mask: Uint8Array, width: number, height: number, pick: (piece: { area: number; diagonal: number }) => boolean): number {
  let ink = 0;
  let picked = 0;
  for (const piece of pieces(mask, width, height)) {
    ink += piece.area;
    if (pick(piece)) picked += piece.area;
  }
  return ink === 0 ? 0 : picked / ink;
}

/**
 * Long strokes: of the ink pixels, the share in 8-connected pieces at least `relative` (8 %) of
 * the image's long side across. An outline drawn in one stroke counts whole; the same outline
 * drawn as a dashed line (pieces of 20-60 px at 1024) counts nothing, and neither do dashes and
 * spots on texture.
 */
export function longStrokeShare(mask: Uint8Array, width: number, height: number, relative = 0.08): number {
  const limit = relative * Math.max(width, height);
  return inkShareIn(mask, width, height, ({ diagonal }) => diagonal >= limit);
}

/**
 * Dash share: of the ink pixels, the share in 8-connected pieces whose bounding-box diagonal is
 * under `relative` (2.5 %) of the image's long side: short dashes and spots, not strokes.
 */
export function dashShare(mask: Uint8Array, width: number, height: number, relative = 0.025): number {
  const limit = relative * Math.max(width, height);
  return inkShareIn(mask, width, height, ({ diagonal }) => diagonal < limit);
}

/** Separable Gaussian blur of a one-channel float image (edges clamped), truncated at 3 sigma. */
function gaussian(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i += 1) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i += 1) (k[i] as number) /= sum;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y += 1) {
    const row = y * width;
    for (let x = 0; x < width; x += 1) {
      let acc = 0;
      for (let i = -r; i <= r; i += 1) acc += (k[i + r] as number) * (src[row + Math.min(width - 1, Math.max(0, x + i))] as number);
      tmp[row + x] = acc;
    }
  }
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let acc = 0;
      for (let i = -r; i <= r; i += 1) acc += (k[i + r] as number) * (tmp[Math.min(height - 1, Math.max(0, y + i)) * width + x] as number);
      out[y * width + x] = acc;
    }
  }
  return out;
}

/** Gradient magnitude (central differences) of a Gaussian-blurred one-channel image. */
function gradientMagnitude(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const b = gaussian(src, width, height, sigma);
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const gx = ((b[y * width + Math.min(width - 1, x + 1)] as number) - (b[y * width + Math.max(0, x - 1)] as number)) / 2;
      const gy = ((b[Math.min(height - 1, y + 1) * width + x] as number) - (b[Math.max(0, y - 1) * width + x] as number)) / 2;
      out[y * width + x] = Math.hypot(gx, gy);
    }
  }
  return out;
}

function percentile(values: Float32Array, p: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/**
 * Texture ink ratio: the ink share inside the photo's textured areas over the ink share on its
 * strong large-scale edges (a drawing inks shapes, not texture: well under 1). With L the photo's
 * L*, n the long side, g1 and g2 the Gaussian gradient magnitudes of L at σ = n/512 and n/64:
 * textured = g1 blurred at σ = n/64 above its 60th percentile and g2 below its median;
 * edges = g2 above its 80th percentile.
 */
export function textureInkRatio(photo: Raster, mask: Uint8Array): { ratio: number; textured: number; edges: number } {
  const { width, height } = photo;
  const lab = toLab(photo.data);
  const L = new Float32Array(width * height);
  for (let i = 0; i < L.length; i += 1) L[i] = lab[i * 3] as number;
  const n = Math.max(width, height);
  const g1 = gradientMagnitude(L, width, height, n / 512);
  const g2 = gradientMagnitude(L, width, height, n / 64);
  const fine = gaussian(g1, width, height, n / 64);
  const [fine60, g2median, g2top] = [percentile(fine, 0.6), percentile(g2, 0.5), percentile(g2, 0.8)];
  let [texturedInk, textured, edgeInk, edges] = [0, 0, 0, 0];
  for (let i = 0; i < mask.length; i += 1) {
    if ((fine[i] as number) > fine60 && (g2[i] as number) < g2median) {
      textured += 1;
      texturedInk += mask[i] as number;
    }
    if ((g2[i] as number) > g2top) {
      edges += 1;
      edgeInk += mask[i] as number;
    }
  }
  const t = textured === 0 ? 0 : texturedInk / textured;
  const e = edges === 0 ? 0 : edgeInk / edges;
  return { ratio: e === 0 ? (t === 0 ? 0 : Infinity) : t / e, textured: t, edges: e };
}
