#!/usr/bin/env node
// `npx toonbot ...`: runs the TypeScript CLI directly (tsx) from a checkout, so there is no build
// step to forget; where there is no source, only the compiled build (the container image), that.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
