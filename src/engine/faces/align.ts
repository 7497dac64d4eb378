/**
 * DCT-Net's face alignment, adapted to BlazeFace's keypoints: a least-squares similarity
 * transform from a 288x288 reference face to the detected eyes, nose and mouth centre; an inverse
 * bilinear warp to cut the aligned crop (white border); and the way back, through a soft mask.
 *
 * Coordinates put pixel centres on integers, as OpenCV's warpAffine does.
 */
import type { RgbFrame } from '../image.ts';
import type { Point } from './BlazeFace.ts';

export const CROP_SIZE = 288;

/**
 * DCT-Net's reference points in the 288x288 crop (image left/right): left eye, right eye, nose,
 * and the mouth centre (the midpoint of its two mouth-corner references, since BlazeFace has no
 * mouth corners).
 */
export const REFERENCE: readonly Point[] = [
  [111.782, 137.629],
  [179.74, 137.253],
  [145.977, 176.278],
  [(118.059 + 174.336) / 2, (216.062 + 215.751) / 2],
];

/** u = a·x + b·y + tx, v = −b·x + a·y + ty: rotation, uniform scale and shift. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

export function apply(t: Similarity, [x, y]: Point): Point {
  return [t.a * x + t.b * y + t.tx, -t.b * x + t.a * y + t.ty];
}

export function invert(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  const a = t.a / d;
  const b = -t.b / d;
  // x = a'·(u − tx) + b'·(v − ty) with the inverse rotation-scale.
  return { a, b, tx: -(a * t.tx + b * t.ty), ty: -(-b * t.tx + a * t.ty) };
}

/** Least-squares similarity mapping `from[i]` onto `to[i]` (at least two pairs). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  // Unknowns [a, b, tx, ty]; each pair gives rows [x, y, 1, 0]·p = u and [y, −x, 0, 1]·p = v.
  const ata = [new Float64Array(4), new Float64Array(4), new Float64Array(4), new Float64Array(4)];
  const atb = new Float64Array(4);
  const add = (row: number[], rhs: number) => {
    for (let i = 0; i < 4; i += 1) {
      atb[i] = (atb[i] as number) + (row[i] as number) * rhs;
      for (let j = 0; j < 4; j += 1) (ata[i] as Float64Array)[j] = ((ata[i] as Float64Array)[j] as number) + (row[i] as number) * (row[j] as number);
    }
  };
  from.forEach(([x, y], i) => {
    const [u, v] = to[i] as Point;
    add([x, y, 1, 0], u);
    add([y, -x, 0, 1], v);
  });
  const [a, b, tx, ty] = solve4(
    ata.map((r) => Array.from(r)),
    Array.from(atb),
  );
  return { a: a as number, b: b as number, tx: tx as number, ty: ty as number };
}

/**
 * How far up (reference px) the built-in looks' face crops (`crop: face`) hold the face, against
 * DCT-Net's reference: DCT-Net's crop ends just below the chin, so a mask that must fall to 0
 * before the crop's edge faded out over the chin and jaw, and the whole frame's drawing (a
 * sketch's hatching, a manga's screentone) showed there. Moved up by 16, the crop has room below
 * the chin, and its mask covers the face from the hairline to the chin (ellipseMask).
 */
export const FACE_CROP_SHIFT = 16;

/**
 * The crop→image transform for a face's keypoints (BlazeFace order); with `shift`, the face sits
 * that many reference px higher in the crop.
 */
export function faceTransform(keypoints: readonly Point[], shift = 0): Similarity {
  const [e0, e1, nose, mouth] = keypoints as [Point, Point, Point, Point];
  // Left/right as seen in the image, whatever the detector called them.
  const [left, right] = e0[0] <= e1[0] ? [e0, e1] : [e1, e0];
  const reference = shift === 0 ? REFERENCE : REFERENCE.map(([x, y]): Point => [x, y - shift]);
  return fitSimilarity(reference, [left, right, nose, mouth]);
}

/**
 * The same alignment for a crop of `size`² instead of 288²: the crop covers the same part of the
 * face, sampled `size`/288 times as finely (pixel centres kept on integers).
 */
export function resizeCrop(t: Similarity, size: number): Similarity {
  const c = CROP_SIZE / size;
  const d = 0.5 * c - 0.5;
  return { a: t.a * c, b: t.b * c, tx: t.a * d + t.b * d + t.tx, ty: -t.b * d + t.a * d + t.ty };
}

/** Side of the crop that samples the face at the photo's own resolution (image px per crop px ≈ 1). */
export function nativeCropSize(t: Similarity, min = 64, max = 1280): number {
  return Math.max(min, Math.min(max, Math.round(CROP_SIZE * Math.hypot(t.a, t.b))));
}

/** Cuts the aligned `size`² crop: crop pixel p samples the image at t(p); outside is white. */
export function warpCrop(frame: RgbFrame, t: Similarity, size = CROP_SIZE): RgbFrame {
  const out = Buffer.alloc(size * size * 3, 255);
  for (let y = 0; y < size; y += 1) {
    // t(x, y) stepped along the row: no point allocated per pixel (these loops run over every
    // face of every job).
    let u = t.b * y + t.tx;
    let v = t.a * y + t.ty;
    for (let x = 0; x < size; x += 1, u += t.a, v -= t.b) sampleRgb(frame, u, v, out, (y * size + x) * 3, 255);
  }
  return { data: out, width: size, height: size };
}

/** The image-space bounding box of the crop's footprint under `t`, clipped to the frame. */
export function footprint(t: Similarity, width: number, height: number, size = CROP_SIZE): { x0: number; y0: number; x1: number; y1: number } {
  const corners = [apply(t, [0, 0]), apply(t, [size - 1, 0]), apply(t, [0, size - 1]), apply(t, [size - 1, size - 1])];
  return {
    x0: Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0])))),
    y0: Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1])))),
    x1: Math.min(width - 1, Math.ceil(Math.max(...corners.map((c) => c[0])))),
    y1: Math.min(height - 1, Math.ceil(Math.max(...corners.map((c) => c[1])))),
  };
}

/**
 * Blends the stylised crop back into `target` in place: target = m·head + (1 − m)·target, with m
 * the mask warped by the same transform (zero outside the crop).
 */
export function pasteBack(target: RgbFrame, head: RgbFrame, mask: Float32Array, t: Similarity): void {
  const inv = invert(t);
  const size = head.width;
  // Only where the mask is non-zero (an ellipse covers about half of the crop's square).
  const m = maskBounds(mask, size);
  const [mx, my] = apply(t, [m.x0, m.y0]);
  const box = footprint({ ...t, tx: mx, ty: my }, target.width, target.height, Math.max(m.x1 - m.x0, m.y1 - m.y0) + 1);
  const { data: out, width } = target;
  const src = head.data;
  for (let y = box.y0; y <= box.y1; y += 1) {
    let cx = inv.a * box.x0 + inv.b * y + inv.tx;
    let cy = -inv.b * box.x0 + inv.a * y + inv.ty;
    for (let x = box.x0; x <= box.x1; x += 1, cx += inv.a, cy -= inv.b) {
      // Inside the crop with all four neighbours; the outermost half pixel is left out (masks
      // fade to zero well before the crop's edge). The weights serve the mask and the colours.
      if (cx < 0 || cy < 0 || cx >= size - 1 || cy >= size - 1) continue;
      const x0 = cx | 0;
      const y0 = cy | 0;
      const fx = cx - x0;
      const fy = cy - y0;
      const i00 = y0 * size + x0;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      const k = (mask[i00] as number) * w00 + (mask[i00 + 1] as number) * w10 + (mask[i00 + size] as number) * w01 + (mask[i00 + size + 1] as number) * w11;
      if (k <= 0) continue;
      const s00 = i00 * 3;
      const s01 = s00 + size * 3;
      const d = (y * width + x) * 3;
      for (let c = 0; c < 3; c += 1) {
        const h = (src[s00 + c] as number) * w00 + (src[s00 + 3 + c] as number) * w10 + (src[s01 + c] as number) * w01 + (src[s01 + 3 + c] as number) * w11;
        out[d + c] = Math.round(k * h + (1 - k) * (out[d + c] as number));
      }
    }
  }
}

/** The crop pixels that hold every non-zero mask value (with a pixel of margin for the bilinear sampling). */
function maskBounds(mask: Float32Array, size: number): { x0: number; y0: number; x1: number; y1: number } {
  let [x0, y0, x1, y1] = [size, size, -1, -1];
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      if ((mask[y * size + x] as number) <= 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? { x0: 0, y0: 0, x1: 0, y1: 0 } : { x0: Math.max(0, x0 - 1), y0: Math.max(0, y0 - 1), x1: Math.min(size - 1, x1 + 1), y1: Math.min(size - 1, y1 + 1) };
}

/** The face mask's centre and half width (reference px of the 288 crop), and its feather (a share of the radius). */
const MASK_CX = 146;
const MASK_RX = 98;
const MASK_FEATHER = 0.22;

/**
 * The project's own soft face mask: a feathered ellipse over the reference face (forehead to
 * chin, ear to ear), 1 inside, 0 at the crop's edges. With `shift` (the face held that much higher,
 * faceTransform), its top moves up with the face and its bottom stays 4 px inside the crop: it
 * covers 14 reference px more of the chin (1 from y 69 to 271 of the face, instead of 67 to 257).
 */
export function ellipseMask(size = CROP_SIZE, shift = 0): Float32Array {
  const k = size / CROP_SIZE;
  const [top, bottom] = [40 - shift, 284];
  const [cx, cy, rx, ry, feather] = [MASK_CX * k, ((top + bottom) / 2) * k, MASK_RX * k, ((bottom - top) / 2) * k, MASK_FEATHER];
  const mask = new Float32Array(size * size);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const d = Math.hypot((x - cx) / rx, (y - cy) / ry);
      const m = Math.min(1, Math.max(0, (1 - d) / feather));
      mask[y * size + x] = m * m * (3 - 2 * m);
    }
  }
  return mask;
}

/**
 * How far a face is turned, from its keypoints (BlazeFace order): the nose's offset from the eyes'
 * midpoint along the eye line, in eye distances, positive when the nose points to the image's
 * right. About 0 for a frontal face (0.00-0.08 on the fixtures' frontal faces), 0.2-0.3 for a
 * face turned a little, 0.8-0.9 for a profile.
 */
export function faceTurn(keypoints: readonly Point[]): number {
  const [e0, e1, nose] = keypoints as [Point, Point, Point];
  const [left, right] = e0[0] <= e1[0] ? [e0, e1] : [e1, e0];
  const [ex, ey] = [right[0] - left[0], right[1] - left[1]];
  const d2 = ex * ex + ey * ey;
  if (d2 < 1e-6) return 0;
  return ((nose[0] - (left[0] + right[0]) / 2) * ex + (nose[1] - (left[1] + right[1]) / 2) * ey) / d2;
}

/**
 * From this turn on, the paste's side in front of the face is pulled in; fully (FRONT_EDGE) from
 * TURN_FULL. The far cheek comes in fast as a head turns: a turn of 0.4 (about 45°, the nose
 * 0.4 of the eyes' distance ahead of their midpoint) puts its contour ~27 reference px ahead of
 * the crop's centre, against ~75 for a frontal face, and 0.27 (~34°) at ~37. From 0.3 to 0.8 a
 * three-quarter face's paste still reached ~50 px past its cheek, and the face pass painted a
 * friend's white shirt there in the skin's tones (2008_002079).
 */
const TURN_FROM = 0.1;
const TURN_FULL = 0.35;
/** Reference px ahead of the crop's centre where a face turned TURN_FULL and more is blended at half, and its feather's width there (a share of the ellipse's). */
const FRONT_EDGE = 45;
const FRONT_FEATHER = 0.5;

/**
 * The face mask for a turned face: on the side the face looks to, the paste ends closer to the
 * nose. The crop is fitted to frontal reference points, so on a profile (eyes close together) it
 * reaches far in front of the face, over whatever is there (a camera, a hand, a friend's face),
 * and the face pass drew that as skin and features. Behind the face (cheek, ear, hair) the mask
 * is unchanged. A frontal face (|turn| ≤ 0.1) gets `mask` itself.
 */
export function turnedMask(mask: Float32Array, size: number, turn: number): Float32Array {
  const u = Math.min(1, Math.max(0, (Math.abs(turn) - TURN_FROM) / (TURN_FULL - TURN_FROM)));
  if (u === 0) return mask;
  const k = size / CROP_SIZE;
  // In front, the blend's edge (where it is at half) comes in from the ellipse's (ellipseMask) to
  // FRONT_EDGE, and its feather narrows to FRONT_FEATHER of the ellipse's: a three-quarter face's
  // far cheek ends only a little short of it, and the wide feather either faded that cheek's shade
  // and contour into the page (sketch lost the outline of the face) or reached the shirt beyond.
  const wide = MASK_FEATHER * MASK_RX;
  const feather = wide * (1 - (1 - FRONT_FEATHER) * u) * k;
  const edge = (MASK_RX - wide / 2 + (FRONT_EDGE - (MASK_RX - wide / 2)) * u) * k;
  const out = new Float32Array(mask.length);
  for (let x = 0; x < size; x += 1) {
    // How far ahead of the face's centre this column is, and how far inside the front edge.
    const ahead = Math.sign(turn) * (x - MASK_CX * k);
    const inside = Math.min(1, Math.max(0, (edge + feather / 2 - ahead) / feather));
    const w = inside * inside * (3 - 2 * inside);
    for (let y = 0; y < size; y += 1) out[y * size + x] = (mask[y * size + x] as number) * w;
  }
  return out;
}

function sampleRgb(frame: RgbFrame, u: number, v: number, out: Buffer, at: number, border: number): void {
  const x0 = Math.floor(u);
  const y0 = Math.floor(v);
  const fx = u - x0;
  const fy = v - y0;
  const { width, height, data } = frame;
  if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
    // Inside: all four neighbours exist (nearly every pixel of a crop).
    const o00 = (y0 * width + x0) * 3;
    const o01 = o00 + width * 3;
    for (let c = 0; c < 3; c += 1) {
      const top = (data[o00 + c] as number) + ((data[o00 + 3 + c] as number) - (data[o00 + c] as number)) * fx;
      const bottom = (data[o01 + c] as number) + ((data[o01 + 3 + c] as number) - (data[o01 + c] as number)) * fx;
      out[at + c] = Math.round(top + (bottom - top) * fy);
    }
    return;
  }
  // Offsets of the four neighbours, or -1 outside the frame (they read as `border`).
  const inX0 = x0 >= 0 && x0 < width;
  const inX1 = x0 + 1 >= 0 && x0 + 1 < width;
  const inY0 = y0 >= 0 && y0 < height;
  const inY1 = y0 + 1 >= 0 && y0 + 1 < height;
  const o00 = inX0 && inY0 ? (y0 * width + x0) * 3 : -1;
  const o10 = inX1 && inY0 ? (y0 * width + x0 + 1) * 3 : -1;
  const o01 = inX0 && inY1 ? ((y0 + 1) * width + x0) * 3 : -1;
  const o11 = inX1 && inY1 ? ((y0 + 1) * width + x0 + 1) * 3 : -1;
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  for (let c = 0; c < 3; c += 1) {
    const p00 = o00 < 0 ? border : (data[o00 + c] as number);
    const p10 = o10 < 0 ? border : (data[o10 + c] as number);
    const p01 = o01 < 0 ? border : (data[o01 + c] as number);
    const p11 = o11 < 0 ? border : (data[o11 + c] as number);
    out[at + c] = Math.round(p00 * w00 + p10 * w10 + p01 * w01 + p11 * w11);
  }
}

/** Gaussian elimination with partial pivoting for the 4x4 normal equations. */
function solve4(m: number[][], rhs: number[]): number[] {
  const a = m.map((row, i) => [...row, rhs[i] as number]);
  for (let col = 0; col < 4; col += 1) {
    let pivot = col;
    for (let r = col + 1; r < 4; r += 1) if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number)) pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const p = (a[col] as number[])[col] as number;
    if (Math.abs(p) < 1e-12) throw new RangeError('degenerate points: cannot fit a similarity');
    for (let r = 0; r < 4; r += 1) {
      if (r === col) continue;
      const f = ((a[r] as number[])[col] as number) / p;
      for (let c = col; c < 5; c += 1) (a[r] as number[])[c] = ((a[r] as number[])[c] as number) - f * ((a[col] as number[])[c] as number);
    }
  }
  return a.map((row, i) => (row[4] as number) / (row[i] as number));
}
