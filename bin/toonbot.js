#!/usr/bin/env node
// `npx toonbot ...`: runs the TypeScript CLI from a checkout, bundled into JavaScript on the way
// (source.mjs; tsx where bundling fails), so there is no build step to forget; where there is no
// source, only the compiled build (the container image), that.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { importSource } = await import('./source.mjs');
  await importSource(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
