/**
 * The strength blend, the one place where a result meets the photo: photo·(1 − s) + styled·s.
 * Both pipelines end here (the portrait one after pasting the heads), so strength means the same
 * in both; graphs that take the strength themselves are given s = 1 (see photoMix).
 */
import type { RgbFrame } from './image.ts';
import type { ModelIO } from './manifest.ts';

/** The model output's share in the blend with the photo: all of it for graphs that apply strength themselves. */
export function photoMix(io: ModelIO, strength: number): number {
  return io.strength ? 1 : strength;
}

/** photo·(1 − s) + styled·s, for two 8-bit frames of the same size; `styled` itself at s = 1. */
export function mix(photo: RgbFrame, styled: RgbFrame, strength: number): RgbFrame {
  if (strength === 1) return styled;
  const out = new Uint8ClampedArray(photo.data.length);
  const keep = 1 - strength;
  for (let i = 0; i < out.length; i += 1) out[i] = (photo.data[i] as number) * keep + (styled.data[i] as number) * strength;
  return { data: Buffer.from(out.buffer, out.byteOffset, out.byteLength), width: photo.width, height: photo.height };
}
