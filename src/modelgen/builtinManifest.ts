/**
 * The manifests of the built-in style, next to the code that generates its graphs, so that the two
 * cannot drift apart: `npm run models` writes both.
 */
import type { ModelManifest, SizeVariant } from '../engine/expert.ts';
import { BUILTIN_STYLE_ID, sha256 } from '../engine/expert.ts';
import { BUILTIN_STYLE_PARAMS, FACE_PARAMS, LOOK_STYLE_PARAMS, type BuiltinStyleParams, type FaceLook } from './builtinParams.ts';
import { buildFaceStyle, FACE_SIDES } from './faceStyle.ts';
import { LOOK_IDS, type LookId } from './looks.ts';
import { BUILTIN_MIN_SIDE, BUILTIN_SIDES, BUILTIN_SIZE_MULTIPLE, buildBuiltinStyle, builtinReach } from './builtinStyle.ts';

const BUILTIN_PORTRAIT_ID = `${BUILTIN_STYLE_ID}-portrait`;

interface GeneratedFile {
  file: string;
  bytes: Uint8Array;
}

/** The other built-in looks: how they are offered. */
const LOOKS: Record<LookId, Pick<ModelManifest, 'name' | 'description' | 'descriptions'>> = {
  sketch: {
    name: 'Sketch',
    description: 'Graphite pencil on paper: grey strokes on the outlines, hatching for the shadows, no colour. Strength: how dark and dense the drawing goes.',
    descriptions: { zh: '纸上的铅笔素描：轮廓用灰色线条，阴影用排线，没有颜色。强度：线条和排线的浓密程度。' },
  },
  manga: {
    name: 'Manga',
    description: 'Black-and-white ink: solid blacks, clean outlines and screentone dots for the mid-tones. Strength: how far the picture is simplified.',
    descriptions: { zh: '黑白漫画：实心黑块、干净的轮廓线，中间调用网点。强度：画面简化的程度。' },
  },
  comic: {
    name: 'Comic',
    description: 'American comic print: bold outlines, flat saturated colours in few steps, halftone dots in the shadows. Strength: how flat and bold it gets.',
    descriptions: { zh: '美式漫画印刷：粗轮廓线、少量层次的鲜艳平涂色，阴影里有半色调网点。强度：平涂和粗犷的程度。' },
  },
};

/** One graph per size in BUILTIN_SIDES: the reference one as `<prefix>.onnx`, the others suffixed. */
function sizedGraphs(prefix: string, params: BuiltinStyleParams, look: 'toon' | LookId = 'toon'): { files: GeneratedFile[]; main: SizeVariant; variants: SizeVariant[] } {
  const files: GeneratedFile[] = [];
  const all: SizeVariant[] = [];
  for (const side of BUILTIN_SIDES) {
    const bytes = buildBuiltinStyle(side / params.referenceSide, params, false, look);
    const file = side === params.referenceSide ? `${prefix}.onnx` : `${prefix}-${side}.onnx`;
    files.push({ file, bytes });
    all.push({ side, file, sha256: sha256(bytes) });
  }
  const main = all.find((v) => v.side === params.referenceSide) as SizeVariant;
  return { files, main, variants: all.filter((v) => v !== main) };
}

/**
 * A look's face pass (faceStyle.ts): one graph per crop side in FACE_SIDES, `<look>-face.onnx` for
 * the reference 288 and suffixed for the others, as the manifest's `head` (crop: face).
 */
function faceHead(look: FaceLook, io: ModelManifest['io']): { files: GeneratedFile[]; head: NonNullable<ModelManifest['head']> } {
  const files: GeneratedFile[] = [];
  const all: SizeVariant[] = [];
  for (const side of FACE_SIDES) {
    const bytes = buildFaceStyle(side, look);
    const file = side === FACE_PARAMS.referenceSide ? `${look}-face.onnx` : `${look}-face-${side}.onnx`;
    files.push({ file, bytes });
    all.push({ side, file, sha256: sha256(bytes) });
  }
  const main = all.find((v) => v.side === FACE_PARAMS.referenceSide) as SizeVariant;
  // The face graphs take no tile corner: they lay no pattern.
  const { origin: _origin, ...faceIo } = io;
  return { files, head: { file: main.file, sha256: main.sha256, side: main.side, variants: all.filter((v) => v !== main), io: faceIo, crop: 'face' } };
}

/** How every built-in graph is fed: 8-bit RGB pixels in and out, NHWC, the strength as an input. */
const BUILTIN_IO: ModelManifest['io'] = {
  input: 'image',
  output: 'cartoon',
  layout: 'NHWC',
  range: [0, 255],
  colorOrder: 'RGB',
  pixels: 'uint8',
  sizeMultiple: BUILTIN_SIZE_MULTIPLE,
  minSide: BUILTIN_MIN_SIDE,
  strength: 'strength',
};

/**
 * The built-in style and the other looks, with every graph file they name. Each runs its
 * whole-frame graphs and, on each face found, its face pass (faceStyle.ts) at the face's scale.
 */
export function builtinModels(): { files: GeneratedFile[]; manifest: ModelManifest; looks: ModelManifest[] } {
  const style = sizedGraphs(BUILTIN_STYLE_ID, BUILTIN_STYLE_PARAMS);
  const toonFace = faceHead('toon', BUILTIN_IO);
  const largest = Math.max(...BUILTIN_SIDES) / BUILTIN_STYLE_PARAMS.referenceSide;
  const manifest: ModelManifest = {
    id: BUILTIN_STYLE_ID,
    name: 'Toon',
    description: 'Flat colours and bold ink outlines, made by ToonBot itself; works offline.',
    descriptions: { zh: '平涂色块加粗墨线轮廓，由 ToonBot 自己生成；无需联网。' },
    // Every look finds the faces and draws each at its own scale (faceStyle.ts) over the whole
    // frame's drawing: the person comes back drawn, eyes and all, at any output size.
    pipeline: 'portrait',
    head: toonFace.head,
    file: style.main.file,
    sha256: style.main.sha256,
    side: style.main.side,
    variants: style.variants,
    license: 'Apache-2.0',
    source: 'generated by `npm run models` from src/modelgen/builtinStyle.ts',
    io: BUILTIN_IO,
    // The margin covers the largest graph's reach, so tiles stitch back exactly at every size. The
    // graphs do their heavy work at a working size of at most 724 px, so a whole 2048 px frame
    // fits in memory (~540 MiB for the graph, see the session options below) and runs untiled.
    tile: { maxSide: 2048, margin: builtinReach(largest) + 2, feather: 16 },
    // Measured (scratch of issue 13, CPU, arena on, median of 7): 'extended' runs the graph at
    // 0.86x the time of 'all' at 1024 (0.88x for the head graph at 512), outputs equal within
    // 1e-5; 'all' adds layout transforms that cost more than they save on these depthwise blurs.
    // Memory pattern off (issue 19, `/usr/bin/time`-style maxRSS of one session, 4 runs, arena on):
    // 2048² 871 → 534 MiB and 878 → 556 ms a run; 1024² 342 → 250 MiB at the same time (~270 ms);
    // the head graph at 1448² 563 → 360 MiB. The planned block holds every intermediate of the
    // run at once, where the arena reuses a freed tensor's memory for the next one.
    session: { optimization: 'extended', memoryPattern: false },
    listed: true,
    // The portrait variant of earlier versions: every look draws faces now, so its name picks toon.
    aliases: [BUILTIN_PORTRAIT_ID],
  };
  // The other looks: the same layers, another rendering (looks.ts), and the tile's corner as an
  // input so that their patterns line up across tiles. Their face pass draws faces in line and
  // flat tone, with no pattern of its own (a second screen out of step with the page's, or dots
  // over a small face's eyes, would read as noise).
  const { aliases: _aliases, ...toonBase } = manifest;
  const looks = LOOK_IDS.map((id) => {
    const graphs = sizedGraphs(id, LOOK_STYLE_PARAMS[id], id);
    const face = faceHead(id, manifest.io);
    const look: ModelManifest = {
      ...toonBase,
      id,
      ...LOOKS[id],
      file: graphs.main.file,
      sha256: graphs.main.sha256,
      variants: graphs.variants,
      source: 'generated by `npm run models` from src/modelgen/builtinStyle.ts and looks.ts',
      io: { ...manifest.io, origin: 'origin' },
      head: face.head,
      tile: { ...manifest.tile, margin: builtinReach(largest, LOOK_STYLE_PARAMS[id]) + 2 },
    };
    return { look, files: [...graphs.files, ...face.files] };
  });
  return { files: [...style.files, ...toonFace.files, ...looks.flatMap((l) => l.files)], manifest, looks: looks.map((l) => l.look) };
}
