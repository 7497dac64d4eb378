/** Image measures the tests use to check what a person would see. */

/** Rec. 601 luma of interleaved RGB, 0..255. */
export function luma(rgb: Uint8Array): Float32Array {
  const out = new Float32Array(rgb.length / 3);
  for (let i = 0; i < out.length; i += 1) out[i] = 0.299 * (rgb[i * 3] as number) + 0.587 * (rgb[i * 3 + 1] as number) + 0.114 * (rgb[i * 3 + 2] as number);
  return out;
}

/** Sobel gradient magnitude (0 on the border). */
export function gradient(l: Float32Array, width: number, height: number): Float32Array {
  const g = new Float32Array(l.length);
  const at = (x: number, y: number): number => l[y * width + x] as number;
  for (let y = 1; y < height - 1; y += 1) {
    for (let x = 1; x < width - 1; x += 1) {
      const gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      g[y * width + x] = Math.hypot(gx, gy);
    }
  }
  return g;
}

export function quantile(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * Of the pixels on the photo's strongest edges (top 5% gradient) and on its flattest areas
 * (bottom 50%), the share the cartoon inked: at most half the photo's brightness there.
 */
export function inkShares(photo: Uint8Array, cartoon: Uint8Array, width: number, height: number): { edges: number; flat: number } {
  const lp = luma(photo);
  const lc = luma(cartoon);
  const g = gradient(lp, width, height);
  const strong = quantile(g, 0.95);
  const weak = quantile(g, 0.5);
  let edges = 0;
  let edgeInk = 0;
  let flat = 0;
  let flatInk = 0;
  for (let i = 0; i < lp.length; i += 1) {
    const inked = (lc[i] as number) <= 0.5 * (lp[i] as number) && (lp[i] as number) > 40;
    if ((g[i] as number) >= strong) {
      edges += 1;
      if (inked) edgeInk += 1;
    } else if ((g[i] as number) <= weak) {
      flat += 1;
      if (inked) flatInk += 1;
    }
  }
  return { edges: edgeInk / edges, flat: flatInk / flat };
}

/** Share of pixels whose right and lower neighbours have exactly the same colour. */
export function flatShare(rgb: Uint8Array, width: number, height: number): number {
  let same = 0;
  for (let y = 0; y < height - 1; y += 1) {
    for (let x = 0; x < width - 1; x += 1) {
      const i = (y * width + x) * 3;
      const r = i + 3;
      const d = i + width * 3;
      if (rgb[i] === rgb[r] && rgb[i + 1] === rgb[r + 1] && rgb[i + 2] === rgb[r + 2] && rgb[i] === rgb[d] && rgb[i + 1] === rgb[d + 1] && rgb[i + 2] === rgb[d + 2]) same += 1;
    }
  }
  return same / ((width - 1) * (height - 1));
}
