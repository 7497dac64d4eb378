/**
 * Keeping a clip's frames the same drawing. Drawn one by one, a cartoon flickers: its thresholds
 * (line or no line, one colour step or the next) turn the camera's noise and compression into
 * lines that crawl and colours that pump. Two steps, both per pixel, both cheap:
 *
 * 1. Before drawing: the input is smoothed over time where it barely changes (sensor noise) and
 *    followed at once where it changes a lot (motion): s = s' + w·(x − s'), w rising from
 *    STEADY.quietWeight for small differences to 1 at STEADY.motionLevels.
 * 2. After drawing: a pixel of the drawing is renewed only where its input (over a small
 *    neighbourhood) has moved away from the input it was last drawn from (by STEADY.holdFrom to
 *    STEADY.holdTo levels of grey, a soft ramp); elsewhere the previous drawing is kept. Comparing with the input at the last renewal, not the previous
 *    frame, means a slow fade is caught up with once it adds up.
 *
 * Still parts of a clip are therefore drawn once and kept; moving parts are drawn every frame.
 * Measured in test/engine/clip.test.ts (a still shot with noise, a pan).
 */
import type { RgbFrame } from '../image.ts';

const STEADY = {
  /** Weight of a new frame where it differs from the running input by ~nothing (sensor noise). */
  quietWeight: 0.25,
  /** A difference (grey levels, per channel) at which the input is followed at once: motion, a cut. */
  motionLevels: 28,
  /** Below this change of the input (luma levels) since a pixel was drawn, its drawing is kept... */
  holdFrom: 5,
  /** ...above this it is drawn anew; in between, blended. */
  holdTo: 14,
  /** Radius (px) of the neighbourhood whose mean change decides. */
  neighbourhood: 3,
} as const;

export class Steadier {
  #input: Float32Array | undefined;
  /** The input each output pixel was last drawn from (luma). */
  #reference: Float32Array | undefined;
  #output: Uint8Array | undefined;

  /** The frame to draw: `frame` smoothed over time where it is still. */
  input(frame: RgbFrame): RgbFrame {
    const x = frame.data;
    const s = this.#input;
    if (!s || s.length !== x.length) {
      this.#input = Float32Array.from(x);
      return frame;
    }
    const out = Buffer.allocUnsafe(x.length);
    for (let i = 0; i < x.length; i += 1) {
      const d = (x[i] as number) - (s[i] as number);
      const w = Math.min(1, STEADY.quietWeight + ((1 - STEADY.quietWeight) * Math.abs(d)) / STEADY.motionLevels);
      const v = (s[i] as number) + w * d;
      s[i] = v;
      out[i] = v + 0.5;
    }
    return { data: out, width: frame.width, height: frame.height };
  }

  /**
   * The frame to show: `drawn` where the input (`from`, as given to the drawing) moved since the
   * pixel was last drawn, the previous output elsewhere.
   */
  output(from: RgbFrame, drawn: RgbFrame): RgbFrame {
    const pixels = from.width * from.height;
    const luma = new Float32Array(pixels);
    for (let p = 0, i = 0; p < pixels; p += 1, i += 3) luma[p] = 0.299 * (from.data[i] as number) + 0.587 * (from.data[i + 1] as number) + 0.114 * (from.data[i + 2] as number);
    const prev = this.#output;
    const ref = this.#reference;
    if (!prev || !ref || ref.length !== pixels || prev.length !== drawn.data.length) {
      this.#reference = luma;
      this.#output = Uint8Array.from(drawn.data);
      return drawn;
    }
    // The change is judged over a neighbourhood, not pixel by pixel: in a moving textured area
    // (grass in a pan) single pixels barely change while their neighbours do, and holding them
    // alone would tear the drawing into streaks. A region renews as one.
    const diff = new Float32Array(pixels);
    for (let p = 0; p < pixels; p += 1) diff[p] = Math.abs((luma[p] as number) - (ref[p] as number));
    const local = boxMean(diff, from.width, from.height, STEADY.neighbourhood);
    const out = Buffer.allocUnsafe(drawn.data.length);
    for (let p = 0, i = 0; p < pixels; p += 1, i += 3) {
      const change = local[p] as number;
      const t = change <= STEADY.holdFrom ? 0 : change >= STEADY.holdTo ? 1 : (change - STEADY.holdFrom) / (STEADY.holdTo - STEADY.holdFrom);
      if (t >= 0.5) ref[p] = luma[p] as number;
      for (let c = 0; c < 3; c += 1) {
        const v = (prev[i + c] as number) + t * ((drawn.data[i + c] as number) - (prev[i + c] as number));
        out[i + c] = v + 0.5;
        prev[i + c] = v + 0.5;
      }
    }
    return { data: out, width: drawn.width, height: drawn.height };
  }
}

/** The mean of `values` (a width x height grid) over the (2r+1)² square around each cell, edges clamped. */
function boxMean(values: Float32Array, width: number, height: number, r: number): Float32Array {
  // Summed-area table with a zero row and column in front.
  const w1 = width + 1;
  const sums = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y += 1) {
    let row = 0;
    for (let x = 0; x < width; x += 1) {
      row += values[y * width + x] as number;
      sums[(y + 1) * w1 + x + 1] = (sums[y * w1 + x + 1] as number) + row;
    }
  }
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y += 1) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(height, y + r + 1);
    for (let x = 0; x < width; x += 1) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(width, x + r + 1);
      const sum = (sums[y1 * w1 + x1] as number) - (sums[y0 * w1 + x1] as number) - (sums[y1 * w1 + x0] as number) + (sums[y0 * w1 + x0] as number);
      out[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}
