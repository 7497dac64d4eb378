/**
 * The ToonBot command line (`npx toonbot`): cartoonise local photos with the bot's own engine.
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.ts';
import { createEngine, createLogger, DEFAULT_OPTIONS, isToonError, OPTION_LIMITS, OUTPUT_FORMATS, type CartoonOptions } from '../engine/index.ts';
import { runBatch } from './cartoon.ts';
import { expandInputs } from './files.ts';
import { addModelsCommand } from './models.ts';
import { wholeNumber } from './args.ts';

const program = new Command('toonbot').description('Turn photos into cartoons with the ToonBot engine.').showHelpAfterError();

program
  .command('cartoon')
  .description('cartoonise photos and clips (files or folders) into an output folder')
  .argument('<inputs...>', 'image files or folders')
  .requiredOption('-o, --out <dir>', 'output folder')
  .option('-s, --style <id>', 'style id (see `toonbot styles`)')
  .option(`--strength <${OPTION_LIMITS.strength.min}..${OPTION_LIMITS.strength.max}>`, `from the photo (0) to the full cartoon (1), default ${DEFAULT_OPTIONS.strength}`)
  .option('-r, --resolution <px>', `long side of the output, ${OPTION_LIMITS.resolution.min}..${OPTION_LIMITS.resolution.max}, default ${DEFAULT_OPTIONS.resolution}`)
  .option('-f, --format <format>', `output format: ${OUTPUT_FORMATS.join(', ')} (default ${DEFAULT_OPTIONS.format})`)
  .option('--clip-format <format>', 'clips (animated GIF/WebP, MP4, MOV, WebM) come back as: mp4 or gif (default: mp4 for videos, gif for GIFs)')
  .option('--sheet', 'also write a before/after contact sheet of the batch')
  .option('--show-faces', 'portrait styles: also write a copy with the faces found drawn on it')
  .option('--no-progress', 'no progress bar')
  .option('--json', 'print one JSON document (per-file results, timings, providers) instead of the table')
  .action(async (inputs: string[], flags: Record<string, unknown>) => {
    const config = loadConfig();
    // One style for the whole run: its look opens alone (RuntimeConfig.sharedLooks), ~0.7 s
    // sooner than the graph of every look, which a bot keeps for its users' changes of look.
    const engine = await createEngine({
      ...config.engine,
      runtime: { ...config.engine.runtime, sharedLooks: false },
      queue: { ...config.engine.queue, perRequester: 1 },
      logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel),
    });
    let options: CartoonOptions;
    try {
      options = engine.parseOptions({ style: flags.style, strength: flags.strength, resolution: flags.resolution, format: flags.format });
    } catch (error) {
      throw new InvalidArgumentError(isToonError(error) ? error.message : String(error));
    }
    const clipFormat = flags.clipFormat;
    if (clipFormat !== undefined && clipFormat !== 'mp4' && clipFormat !== 'gif') {
      await engine.close();
      throw new InvalidArgumentError('--clip-format is mp4 or gif');
    }
    const files = await expandInputs(inputs);
    if (files.length === 0) throw new InvalidArgumentError('no image files found in the given folders');
    try {
      const outcomes = await runBatch(engine, files, {
        outDir: String(flags.out),
        options,
        sheet: Boolean(flags.sheet),
        showFaces: Boolean(flags.showFaces),
        progress: Boolean(flags.progress) && process.stderr.isTTY === true,
        json: Boolean(flags.json),
        ...(clipFormat ? { clipFormat } : {}),
        print: (line) => process.stdout.write(`${line}\n`),
      });
      if (outcomes.every((o) => o.error)) process.exitCode = 1;
    } finally {
      await engine.close();
    }
  });

program
  .command('doctor')
  .description('show what the models can run on here (TOONBOT_PROVIDER=auto picks from it), run every style once and compare with the CPU')
  .option('--provider <name>', 'check this provider instead of TOONBOT_PROVIDER (auto, cpu, webgpu, cuda...)')
  .action(async (flags: { provider?: string }) => {
    const config = loadConfig();
    const { doctor } = await import('./doctor.ts');
    const runtime = { ...config.engine.runtime, provider: flags.provider ?? config.engine.runtime?.provider ?? 'auto' };
    process.exitCode = await doctor({ ...config.engine, runtime, logger: createLogger('warn') }, (line) => process.stdout.write(`${line}\n`));
  });

program
  .command('worker')
  .description('scale-out mode: run the engine on jobs from the Redis queue (TOONBOT_REDIS_URL), one job at a time; one per GPU')
  .option('--provider <name>', 'execution provider for this worker (cpu, cuda, tensorrt, webgpu...); default TOONBOT_PROVIDER')
  .option('--device <n>', 'GPU index, for providers that take one (cuda, tensorrt, dml)', wholeNumber)
  .option('--threads <n>', 'onnxruntime threads (0 = one per core); default TOONBOT_THREADS', wholeNumber)
  .option('--name <name>', 'name in logs and heartbeats (default host:pid)')
  .action(async (flags: { provider?: string; device?: number; threads?: number; name?: string }) => {
    const { workerMain } = await import('../scale/workerMain.ts');
    process.exit(await workerMain(flags));
  });

program
  .command('styles')
  .description('list the styles on offer')
  .action(async () => {
    const config = loadConfig();
    const engine = await createEngine({ ...config.engine, logger: createLogger('warn') });
    for (const s of engine.styles()) process.stdout.write(`${s.id.padEnd(16)} ${s.name}: ${s.description}\n`);
    await engine.close();
  });

addModelsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`toonbot: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
