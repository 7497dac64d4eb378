/**
 * `toonbot models ...`: list the styles, pull DCT-Net's published ones from ModelScope, import
 * them from files already on disk, and verify what is installed.
 */
import path from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config.ts';
import { DEFAULT_ENGINE_CONFIG, INSTALLED_DIR, loadManifests } from '../engine/expert.ts';
import { DCTNET_STYLES, DEFAULT_MODELSCOPE_URL, importStyle, isDctnetStyle, pullStyle, quantizeInstalled, removeInstalled, styleId, testRun, verifyInstalled } from '../models/index.ts';
import { checkOnnx, importOnnx, RANGES, type OnnxImportOptions } from '../models/onnxImport.ts';
import { wholeNumber } from './args.ts';
import { renderTable } from './table.ts';

const print = (line: string) => process.stdout.write(`${line}\n`);

function modelsDir(): string {
  return loadConfig().engine.modelsDir ?? DEFAULT_ENGINE_CONFIG.modelsDir;
}

/** The graph conventions given as flags (import, check); what is not given is found. */
function conventions(flags: Record<string, unknown>): Omit<OnnxImportOptions, 'modelsDir' | 'licence'> {
  const layout = typeof flags.layout === 'string' ? flags.layout.toUpperCase() : undefined;
  if (layout !== undefined && layout !== 'NHWC' && layout !== 'NCHW') throw new InvalidArgumentError('--layout is NHWC or NCHW');
  const range = typeof flags.range === 'string' ? RANGES[flags.range] : undefined;
  if (flags.range !== undefined && !range) throw new InvalidArgumentError(`--range is one of ${Object.keys(RANGES).join(', ')}`);
  return {
    ...(layout ? { layout } : {}),
    ...(range ? { range } : {}),
    ...(flags.bgr ? { colorOrder: 'BGR' as const } : {}),
    ...(typeof flags.multiple === 'number' ? { sizeMultiple: flags.multiple } : {}),
  };
}

function styleArg(style: string): keyof typeof DCTNET_STYLES {
  if (!isDctnetStyle(style)) throw new Error(`unknown style "${style}": one of ${Object.keys(DCTNET_STYLES).join(', ')}`);
  return style;
}

export function addModelsCommand(program: Command): void {
  const models = program.command('models').description('list, pull, import, check, remove and verify styles');

  models
    .command('list')
    .description('the built-in and installed styles, with licence and source')
    .action(async () => {
      const entries = await loadManifests(modelsDir());
      const rows = entries.map(({ manifest: m }) => [m.id, m.pipeline, m.listed ? 'yes' : 'no', m.license, m.source]);
      for (const style of Object.keys(DCTNET_STYLES)) {
        if (!entries.some((e) => e.manifest.id === styleId(style)))
          rows.push([styleId(style), 'portrait', `not installed: toonbot models pull ${style}`, 'Apache-2.0', `modelscope:${DCTNET_STYLES[style as keyof typeof DCTNET_STYLES]}`]);
      }
      print(renderTable(['style', 'pipeline', 'offered', 'licence', 'source'], rows));
    });

  models
    .command('pull')
    .description("download one of DCT-Net's styles from ModelScope, convert it to ONNX and install it")
    .argument('<style>', Object.keys(DCTNET_STYLES).join(' | '))
    .option('--base-url <url>', `ModelScope base URL, or a mirror (default TOONBOT_MODELSCOPE_URL, else ${DEFAULT_MODELSCOPE_URL})`)
    .action(async (style: string, flags: { baseUrl?: string }) => {
      const dir = modelsDir();
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: ' {file} {bar} {percentage}% {value}/{total} bytes', stream: process.stderr }, cliProgress.Presets.shades_classic)
        : undefined;
      let current = '';
      const manifest = await pullStyle(styleArg(style), {
        baseUrl: flags.baseUrl ?? loadConfig().modelscopeUrl,
        modelsDir: dir,
        log: (line) => process.stderr.write(`${line}\n`),
        onProgress: (p) => {
          if (!bar) return;
          if (p.file !== current) {
            if (current) bar.stop();
            current = p.file;
            bar.start(p.total, p.received, { file: p.file });
          }
          bar.update(p.received, { file: p.file });
        },
      });
      bar?.stop();
      print(`installed ${manifest.id} into ${path.join(dir, INSTALLED_DIR)}; test run: ${await testRun(dir, manifest.id, 256)}`);
    });

  models
    .command('import')
    .description('install a DCT-Net style from a folder (cartoon_h.pb, cartoon_bg.pb, alpha.jpg), or any image-to-image .onnx generator (AnimeGAN) as a style of that name')
    .argument('<style>', `${Object.keys(DCTNET_STYLES).join(' | ')}, or a new name for an .onnx file`)
    .argument('<from>', 'the folder, or the .onnx file')
    .option('--licence <text>', '.onnx: the licence of the weights (required: they will be served to others)')
    .option('--source <text>', '.onnx: where the file comes from (default: its path)')
    .option('--layout <NHWC|NCHW>', '.onnx: where the colour channels are (default: read from the graph)')
    .option('--range <range>', `.onnx: the value range in and out, ${Object.keys(RANGES).join(', ')} (default: tried on a photo)`)
    .option('--bgr', '.onnx: the graph takes and gives BGR (default RGB)')
    .option('--multiple <n>', '.onnx: frame sides must be a multiple of this (default 8, or the fixed size)', wholeNumber)
    .action(async (style: string, from: string, flags: Record<string, unknown>) => {
      const dir = modelsDir();
      const log = (line: string) => process.stderr.write(`${line}\n`);
      if (!from.toLowerCase().endsWith('.onnx')) {
        const manifest = await importStyle(styleArg(style), from, { modelsDir: dir, log });
        print(`installed ${manifest.id}; test run: ${await testRun(dir, manifest.id, 256)}`);
        return;
      }
      if (typeof flags.licence !== 'string') throw new InvalidArgumentError('say under which licence the weights may be used: --licence "..." (see the README on imported styles)');
      const manifest = await importOnnx(style, from, { modelsDir: dir, licence: flags.licence, log, ...(typeof flags.source === 'string' ? { source: flags.source } : {}), ...conventions(flags) });
      print(`installed ${manifest.id}; a photo at 1024: ${await testRun(dir, manifest.id)}`);
    });

  models
    .command('check')
    .description('check an image-to-image .onnx file before importing it: what the import finds, and how long a run at 1024 takes here; installs nothing')
    .argument('<file>', 'the .onnx file')
    .option('--layout <NHWC|NCHW>', 'where the colour channels are (default: read from the graph)')
    .option('--range <range>', `the value range in and out, ${Object.keys(RANGES).join(', ')} (default: tried on a photo)`)
    .option('--bgr', 'the graph takes and gives BGR (default RGB)')
    .option('--multiple <n>', 'frame sides must be a multiple of this (default: found)', wholeNumber)
    .action(async (file: string, flags: Record<string, unknown>) => {
      const ms = await checkOnnx(file, { log: (line) => process.stderr.write(`${line}\n`), ...conventions(flags) });
      print(`${path.basename(file)} can be imported: a 1024 run takes about ${(ms / 1000).toFixed(1)} s on this machine`);
    });

  models
    .command('remove')
    .description('take an installed style away (pulled or imported); running bots stop offering it at their next start')
    .argument('<style>', 'an installed style id (see `toonbot models list`)')
    .action(async (style: string) => {
      await removeInstalled(modelsDir(), style);
      print(`removed ${style}`);
    });

  models
    .command('quantize')
    .description('add int8 graphs for the CPU to installed styles (pull and import make them; this is for styles installed before)')
    .argument('<styles...>', 'installed style ids (see `toonbot models list`)')
    .action(async (ids: string[]) => {
      const dir = modelsDir();
      for (const id of ids) {
        const manifest = await quantizeInstalled(dir, id, (line) => process.stderr.write(`${line}\n`));
        const parts = [manifest.int8 ? 'background' : undefined, manifest.head?.int8 ? 'head' : undefined].filter(Boolean);
        print(`${id}: ${parts.length > 0 ? `int8 for ${parts.join(' and ')}` : 'stays fp32'}; test run: ${await testRun(dir, id, 256)}`);
      }
    });

  models
    .command('verify')
    .description('re-check the installed files against their hashes, and that each model loads')
    .action(async () => {
      const verdicts = await verifyInstalled(modelsDir());
      for (const { id, problems } of verdicts) print(`${id.padEnd(20)} ${problems.length ? `FAILED: ${problems.join('; ')}` : 'ok'}`);
      const failures = verdicts.filter((v) => v.problems.length > 0).length;
      if (failures > 0) process.exitCode = 1;
    });
}
