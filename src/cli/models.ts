/**
 * `toonbot models ...`: list the styles, pull DCT-Net's published ones from ModelScope, import
 * them from files already on disk, and verify what is installed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createEngine, DEFAULT_ENGINE_CONFIG, INSTALLED_DIR, loadManifests, ModelSession, silentLogger } from '../engine/expert.ts';
import { DCTNET_STYLES, DEFAULT_MODELSCOPE_URL, importStyle, isDctnetStyle, pullStyle, styleId, type LockEntry } from '../modelgen/dctnetStyles.ts';
import { renderTable } from './table.ts';

const print = (line: string) => process.stdout.write(`${line}\n`);

function modelsDir(): string {
  return loadConfig().engine.modelsDir ?? DEFAULT_ENGINE_CONFIG.modelsDir;
}

function styleArg(style: string): keyof typeof DCTNET_STYLES {
  if (!isDctnetStyle(style)) throw new Error(`unknown style "${style}": one of ${Object.keys(DCTNET_STYLES).join(', ')}`);
  return style;
}

/** Runs one photo through the installed style: the install is only done when this works. */
async function smokeTest(dir: string, id: string): Promise<string> {
  const engine = await createEngine({ modelsDir: dir, logger: silentLogger });
  try {
    const photo = await readFile(path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../test/fixtures/astronaut.png')).catch(() => null);
    const image = photo ?? (await (await import('sharp')).default({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer());
    const result = await engine.submit({ image, options: { style: id, resolution: 256 } });
    return `${result.width}x${result.height} in ${result.timings.total} ms, ${result.portrait?.faces ?? 0} face(s)`;
  } finally {
    await engine.close();
  }
}

export function addModelsCommand(program: Command): void {
  const models = program.command('models').description('list, pull, import and verify styles');

  models
    .command('list')
    .description('the built-in and installed styles, with licence and source')
    .action(async () => {
      const entries = await loadManifests(modelsDir());
      const rows = entries.map(({ manifest: m }) => [m.id, m.pipeline, m.listed ? 'yes' : 'no', m.license, m.source]);
      for (const style of Object.keys(DCTNET_STYLES)) {
        if (!entries.some((e) => e.manifest.id === styleId(style))) rows.push([styleId(style), 'portrait', `not installed: toonbot models pull ${style}`, 'Apache-2.0', `modelscope:${DCTNET_STYLES[style as keyof typeof DCTNET_STYLES]}`]);
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
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: ' {file} {bar} {percentage}% {value}/{total} bytes', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
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
      print(`installed ${manifest.id} into ${path.join(dir, INSTALLED_DIR)}; test run: ${await smokeTest(dir, manifest.id)}`);
    });

  models
    .command('import')
    .description('install a style from a folder holding cartoon_h.pb, cartoon_bg.pb and alpha.jpg')
    .argument('<style>', Object.keys(DCTNET_STYLES).join(' | '))
    .argument('<dir>', 'the folder')
    .action(async (style: string, from: string) => {
      const dir = modelsDir();
      const manifest = await importStyle(styleArg(style), from, { modelsDir: dir, log: (line) => process.stderr.write(`${line}\n`) });
      print(`installed ${manifest.id}; test run: ${await smokeTest(dir, manifest.id)}`);
    });

  models
    .command('verify')
    .description('re-check the installed files against their hashes, and that each model loads')
    .action(async () => {
      const dir = modelsDir();
      const locks = JSON.parse(await readFile(path.join(dir, INSTALLED_DIR, 'lock.json'), 'utf8').catch(() => '{}')) as Record<string, LockEntry>;
      let failures = 0;
      for (const entry of await loadManifests(dir)) {
        const problems: string[] = [];
        for (const [file, sha] of [[entry.file, entry.manifest.sha256], ...(entry.headFile && entry.manifest.head ? [[entry.headFile, entry.manifest.head.sha256]] : [])] as [string, string][]) {
          const actual = await readFile(file).then((b) => createHash('sha256').update(b).digest('hex')).catch(() => 'missing');
          if (actual !== sha) problems.push(`${path.basename(file)}: ${actual === 'missing' ? 'missing' : 'checksum differs'}`);
        }
        const lock = locks[entry.manifest.id];
        if (entry.maskFile && lock) {
          const mask = path.basename(entry.maskFile);
          const actual = await readFile(entry.maskFile).then((b) => createHash('sha256').update(b).digest('hex')).catch(() => 'missing');
          if (lock.files[mask] && actual !== lock.files[mask].sha256) problems.push(`${mask}: checksum differs from the lock`);
        }
        if (problems.length === 0) {
          try {
            await (await ModelSession.open(entry, DEFAULT_ENGINE_CONFIG.runtime, silentLogger)).dispose();
          } catch (error) {
            problems.push(`does not load: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        failures += problems.length > 0 ? 1 : 0;
        print(`${entry.manifest.id.padEnd(20)} ${problems.length ? `FAILED: ${problems.join('; ')}` : 'ok'}`);
      }
      if (failures > 0) process.exitCode = 1;
    });
}
