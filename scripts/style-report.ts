/**
 * The built-in style's measures on every test photo (fixtures and scenes), built in memory from
 * src/modelgen/builtinStyle.ts so that a change can be judged before `npm run models`:
 *
 *   npx tsx scripts/style-report.ts [--side 1024] [--strength 0.7] [--sheet out.png] [--out dir] [--only name,...]
 *   npx tsx scripts/style-report.ts --ab --set linkSteps=3 [--side 1024]
 *
 * Prints, per photo: ink share, dash share, long strokes, texture ink ratio, flat share, specks,
 * chroma drift, and the graph's time; with --out, writes each cartoon at full size (PNG); then the likeness of every look (faces, eyes kept; skin flat); with --sheet, writes photo | cartoon pairs side by side to look at.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { BUILTIN_STYLE_PARAMS, type BuiltinStyleParams } from '../src/modelgen/builtinParams.ts';
import { BUILTIN_SIDES, buildBuiltinStyle } from '../src/modelgen/builtinStyle.ts';
import { formatLikeness, LIKENESS_LOOKS, likenessTable } from './likeness/report.ts';
import { longStrokeShare, chromaDrift, dashShare, flatNeighbourhoodShare, inkMask, share, speckShare, textureInkRatio, type Raster } from '../dev/metrics.ts';

const { values } = parseArgs({
  options: {
    side: { type: 'string', default: '1024' },
    strength: { type: 'string', default: '0.7' },
    sheet: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
    maps: { type: 'boolean', default: false },
    likeness: { type: 'boolean', default: true },
    ab: { type: 'boolean', default: false },
    set: { type: 'string', multiple: true, default: [] },
  },
  allowNegative: true,
});
// --set name=value (or name=a,b) overrides a parameter, to try a change before writing it down.
const params = { ...BUILTIN_STYLE_PARAMS } as Record<string, unknown>;
for (const kv of values.set) {
  const [name, value] = kv.split('=') as [string, string];
  if (!(name in params)) throw new Error(`no parameter ${name}`);
  params[name] = value.includes(',') ? value.split(',').map(Number) : Number(value);
}
const side = Number(values.side);
if (values.out) mkdirSync(values.out, { recursive: true });
const strength = Number(values.strength);
const root = path.join(import.meta.dirname, '../dev/fixtures');
const photos = [
  ...['astronaut.png', 'chelsea.png', 'coffee.png'].map((f) => path.join(root, f)),
  ...readdirSync(path.join(root, 'scenes'))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => path.join(root, 'scenes', f)),
].filter((f) => !values.only || values.only.split(',').some((o) => path.basename(f).startsWith(o)));

const graphSide = BUILTIN_SIDES.reduce((best, s) => (Math.abs(Math.log(s / side)) < Math.abs(Math.log(best / side)) ? s : best));
// --ab: the graph built with the --set values against the committed parameters, run alternately
// on a busy test image at --side (medians of 10 after two warm-up rounds), and nothing else.
if (values.ab) {
  const opts = { graphOptimizationLevel: 'extended' as const };
  const scaleAb = graphSide / BUILTIN_STYLE_PARAMS.referenceSide;
  const sessions = [await ort.InferenceSession.create(buildBuiltinStyle(scaleAb), opts), await ort.InferenceSession.create(buildBuiltinStyle(scaleAb, params as BuiltinStyleParams), opts)];
  const pixels = new Uint8Array(side * side * 3).map((_, i) => (i * 7919) % 251);
  const feeds = { image: new ort.Tensor('uint8', pixels, [1, side, side, 3]), strength: new ort.Tensor('float32', Float32Array.of(strength), [1]) };
  const times: number[][] = [[], []];
  for (let round = 0; round < 12; round += 1) {
    for (const [i, session] of sessions.entries()) {
      const t0 = performance.now();
      await session.run(feeds);
      if (round >= 2) times[i]?.push(performance.now() - t0);
    }
  }
  const median = (t: number[] = []) => [...t].sort((a, b) => a - b)[t.length >> 1] ?? NaN;
  console.log(
    `graph at ${side}², strength ${strength}: committed ${median(times[0]).toFixed(1)} ms, with ${values.set.join(' ') || 'no change'} ${median(times[1]).toFixed(1)} ms (medians of 10, alternating)`,
  );
  process.exit(0);
}
const session = await ort.InferenceSession.create(buildBuiltinStyle(graphSide / BUILTIN_STYLE_PARAMS.referenceSide, params as BuiltinStyleParams, values.maps), { graphOptimizationLevel: 'extended' });

async function run(rgb: Buffer, width: number, height: number): Promise<{ out: Buffer; ms: number; maps?: Buffer; mapsWidth?: number; mapsHeight?: number }> {
  // The graph takes frames whose sides are a multiple of 4 (the engine pads them): edges repeated.
  const [w4, h4] = [Math.ceil(width / 4) * 4, Math.ceil(height / 4) * 4];
  const padded = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .extend({ right: w4 - width, bottom: h4 - height, extendWith: 'copy' })
    .raw()
    .toBuffer();
  const t0 = performance.now();
  const result = await session.run({ image: new ort.Tensor('uint8', new Uint8Array(padded), [1, h4, w4, 3]), strength: new ort.Tensor('float32', Float32Array.of(strength), [1]) });
  const ms = performance.now() - t0;
  const bytes = (result.cartoon as ort.Tensor).data as Uint8Array;
  const out = await sharp(Buffer.from(bytes), { raw: { width: w4, height: h4, channels: 3 } })
    .extract({ left: 0, top: 0, width, height })
    .raw()
    .toBuffer();
  if (!result.maps) return { out, ms };
  // Gate, texture and ink at the working size, as an RGB picture.
  const [, , mh, mw] = result.maps.dims as number[];
  const mp = (mh as number) * (mw as number);
  const md = result.maps.data as Float32Array;
  const maps = Buffer.alloc(mp * 3);
  for (let i = 0; i < mp; i += 1) for (let c = 0; c < 3; c += 1) maps[i * 3 + c] = Math.round(Math.min(1, Math.max(0, md[c * mp + i] as number)) * 255);
  return { out, ms, maps, mapsWidth: mw, mapsHeight: mh };
}

const blur = async (r: Raster, sigma: number): Promise<Raster> => ({
  ...r,
  data: await sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer(),
});
const rows: string[] = [];
const pairs: Buffer[] = [];
const totals = { dash: 0, long: 0, tex: 0, ink: 0, flat: 0, specks: 0, n: 0 };
console.log(`graph ${graphSide}, output ${side}, strength ${strength}`);
console.log('photo            ink    dash   long   texture flat   specks drift  ms');
for (const file of photos) {
  const { data, info } = await sharp(readFileSync(file)).removeAlpha().resize(side, side, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const { out, ms, maps, mapsWidth, mapsHeight } = await run(data, width, height);
  const photo: Raster = { data, width, height };
  const result: Raster = { data: out, width, height };
  const mask = inkMask(photo, result);
  const m = {
    ink: share(mask),
    dash: dashShare(mask, width, height),
    long: longStrokeShare(mask, width, height),
    tex: textureInkRatio(photo, mask).ratio,
    flat: flatNeighbourhoodShare(result),
    specks: speckShare(mask, width, height, 16 * (side / 1024) ** 2),
    drift: chromaDrift(await blur(photo, 0.01 * side), await blur(result, 0.01 * side)).drift,
  };
  totals.dash += m.dash;
  totals.long += m.long;
  totals.specks += m.specks;
  totals.tex += m.tex;
  totals.ink += m.ink;
  totals.flat += m.flat;
  totals.n += 1;
  rows.push(
    `${path.basename(file).padEnd(16)} ${m.ink.toFixed(3)}  ${m.dash.toFixed(3)}  ${m.long.toFixed(3)}  ${m.tex.toFixed(2).padStart(5)}   ${m.flat.toFixed(2)}   ${m.specks.toFixed(3)}  ${m.drift.toFixed(2)}  ${ms.toFixed(0)}`,
  );
  console.log(rows.at(-1));
  if (values.out)
    await sharp(out, { raw: { width, height, channels: 3 } })
      .png()
      .toFile(path.join(values.out, `${path.parse(file).name}.png`));
  if (values.out && maps)
    await sharp(maps, { raw: { width: mapsWidth as number, height: mapsHeight as number, channels: 3 } })
      .png()
      .toFile(path.join(values.out, `${path.parse(file).name}.maps.png`));
  if (values.sheet) {
    const left = maps
      ? await sharp(maps, { raw: { width: mapsWidth as number, height: mapsHeight as number, channels: 3 } })
          .resize(width, height)
          .raw()
          .toBuffer()
      : data;
    const pair = await sharp({ create: { width: width * 2, height, channels: 3, background: '#fff' } })
      .composite([
        { input: left, raw: { width, height, channels: 3 }, left: 0, top: 0 },
        { input: out, raw: { width, height, channels: 3 }, left: width, top: 0 },
      ])
      .png()
      .toBuffer();
    pairs.push(await sharp(pair).resize(1200, 400, { fit: 'contain', background: '#fff' }).png().toBuffer());
  }
}
console.log(
  `mean             ${(totals.ink / totals.n).toFixed(3)}  ${(totals.dash / totals.n).toFixed(3)}  ${(totals.long / totals.n).toFixed(3)}  ${(totals.tex / totals.n).toFixed(2).padStart(5)}   ${(totals.flat / totals.n).toFixed(2)}   ${(totals.specks / totals.n).toFixed(3)}`,
);
if (values.sheet) {
  await sharp({ create: { width: 1200, height: 400 * pairs.length, channels: 3, background: '#fff' } })
    .composite(pairs.map((input, i) => ({ input, left: 0, top: i * 400 })))
    .png()
    .toFile(values.sheet);
}
// Likeness beside the other measures: every look through the engine (face pass included, the
// committed graphs), judged by the independent detector (scripts/likeness). --no-likeness skips it.
if (values.likeness) {
  console.log(`\nlikeness at ${side} (scripts/likeness: faces and eyes an independent judge still finds)`);
  console.log(formatLikeness(await likenessTable(LIKENESS_LOOKS, [side])));
}
