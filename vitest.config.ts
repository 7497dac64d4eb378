import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Inference is CPU-bound; parallel files would only fight over the two cores.
    fileParallelism: false,
    // Tests of time limits run the garbage collector (globalThis.gc) while they wait.
    execArgv: ['--expose-gc'],
  },
});
