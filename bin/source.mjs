#!/usr/bin/env node
// Runs a TypeScript entry of this checkout as plain JavaScript, without a compiler in the process:
//
//   node bin/source.mjs scripts/bench/main.ts --child '{...}'
//
// The entry and the project's modules it imports are bundled with esbuild (the compiler tsx itself
// uses) into node_modules/.cache/toonbot-source/, then imported. tsx compiles as it loads instead,
// which is simpler, but its loader hooks run in a thread of their own: ~38 MiB of resident memory
// in a process, ~27 MiB in every worker thread that registers it (docs/BENCHMARKS.md). The engine's
// threads are started this way from source (src/engine/threads/tsThread.mjs), and so is the
// benchmark's measuring process; where bundling fails, both fall back to tsx.
//
// Packages stay outside the bundle and are imported from node_modules as usual, which is why the
// bundle is written inside the project. Each module's import.meta.url, .dirname and .filename keep
// naming its own source file, so paths built from them (the models folder, package.json, a sibling
// thread's script) are what they are from source. Dynamic imports stay lazy (separate chunks).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CACHE = fileURLToPath(new URL('../node_modules/.cache/toonbot-source/', import.meta.url));
/** Bundles of older sources are removed after a day (a process may still load a lazy chunk of one). */
const STALE_MS = 24 * 3600 * 1000;

/** Keeps each module's own import.meta.url, .dirname and .filename in the bundle. */
const ownImportMeta = {
  name: 'own-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * Bundles the TypeScript file at `entry` (a file URL) and returns the bundle's URL. The bundle's
 * folder is named by its content, so unchanged sources reuse it and processes that bundle at the
 * same time write the same thing (each into a folder of its own, then renamed into place).
 */
async function bundleSource(entry) {
  const { build, stop } = await import('esbuild');
  const name = path.basename(fileURLToPath(entry)).replace(/\.[cm]?ts$/, '');
  const result = await build({
    entryPoints: { [name]: fileURLToPath(entry) },
    bundle: true,
    splitting: true,
    outdir: CACHE,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    plugins: [ownImportMeta],
  }).finally(() => stop());
  const hash = createHash('sha256');
  for (const file of result.outputFiles) hash.update(file.path).update(file.contents);
  const dir = path.join(CACHE, `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(dir)) {
    const temporary = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    for (const file of result.outputFiles) {
      const target = path.join(temporary, path.relative(CACHE, file.path));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.contents);
    }
    try {
      renameSync(temporary, dir);
    } catch {
      // Another process put the same bundle in place first.
      rmSync(temporary, { recursive: true, force: true });
    }
    removeStale(name, dir);
  }
  return pathToFileURL(path.join(dir, `${name}.js`)).href;
}

function removeStale(name, keep) {
  try {
    for (const entry of readdirSync(CACHE)) {
      const dir = path.join(CACHE, entry);
      if (dir !== keep && entry.startsWith(`${name}-`) && Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
    }
  } catch {
    // Housekeeping only.
  }
}

/** Imports the TypeScript file at `entry` (a file URL): bundled where that works, else through tsx. */
export async function importSource(entry) {
  let bundle;
  try {
    bundle = await bundleSource(entry);
  } catch {
    bundle = undefined;
  }
  if (bundle) return import(bundle);
  const { register } = await import('tsx/esm/api');
  register();
  return import(entry);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bin/source.mjs <file.ts> [arguments]\n');
    process.exit(2);
  }
  const entry = path.resolve(file);
  // The entry sees itself as the script that was run (`import.meta.url === argv[1]` checks).
  process.argv = [process.argv[0], entry, ...rest];
  await importSource(pathToFileURL(entry).href);
}
