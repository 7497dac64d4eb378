/**
 * `toonbot cartoon`: a batch of local photos through the same engine and queue the bots use.
 * A bad file is reported and skipped; the rest still runs.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { isToonError, type CartoonOptions, type CartoonResult, type ClipFormat, type Engine, type Progress } from '../engine/index.ts';
import { outputName, type InputFile } from './files.ts';
import { drawFaces } from './faces.ts';
import { contactSheet, type SheetPair } from './sheet.ts';
import { bytes, ms, renderTable } from './table.ts';

interface BatchOptions {
  outDir: string;
  options: CartoonOptions;
  sheet: boolean;
  /** Portrait styles: also write a copy with the face boxes and keypoints drawn on it. */
  showFaces?: boolean;
  progress: boolean;
  /** One JSON document on stdout instead of the table (for scripts). */
  json?: boolean;
  /** Clips (GIF, WebP, MP4...) come back as this; by default MP4 for videos, GIF for GIFs. */
  clipFormat?: ClipFormat;
  print: (line: string) => void;
}

interface BatchOutcome {
  file: string;
  output?: string;
  result?: CartoonResult;
  inputBytes?: number;
  error?: string;
}

/** A clip's frames as they are drawn: in the batch's bar when there is one, else in a bar of their own. */
function frameProgress(name: string, batch: cliProgress.SingleBar | undefined): { update: (progress: Progress) => void; stop: () => void } {
  let own: cliProgress.SingleBar | undefined;
  return {
    update: ({ frame, frames }) => {
      if (batch) return batch.update({ file: `${name} · frame ${frame}/${frames}` });
      if (!own) {
        own = new cliProgress.SingleBar({ format: ' {bar} frame {value}/{total} {file}', hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
        own.start(frames, frame, { file: name });
      }
      own.setTotal(frames);
      own.update(frame);
    },
    stop: () => own?.stop(),
  };
}

export async function runBatch(engine: Engine, files: readonly InputFile[], opts: BatchOptions): Promise<BatchOutcome[]> {
  await mkdir(opts.outDir, { recursive: true });
  const bar =
    opts.progress && files.length > 1
      ? new cliProgress.SingleBar({ format: ' {bar} {value}/{total} {file}', hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
      : undefined;
  bar?.start(files.length, 0, { file: '' });
  const taken = new Set<string>();
  const outcomes: BatchOutcome[] = [];
  const pairs: SheetPair[] = [];
  const started = performance.now();

  for (const file of files) {
    bar?.update({ file: path.basename(file.path) });
    if (file.error) {
      outcomes.push({ file: file.path, error: file.error });
      bar?.increment();
      continue;
    }
    try {
      const input = await readFile(file.path);
      const clip = { sound: true, ...(opts.clipFormat ? { format: opts.clipFormat } : {}) };
      const frames = opts.progress ? frameProgress(path.basename(file.path), bar) : undefined;
      const result = await engine
        .submit({ image: input, options: opts.options, requester: 'cli', includeFaces: opts.showFaces === true, clip }, frames ? { onProgress: frames.update } : {})
        .finally(() => frames?.stop());
      const output = path.join(opts.outDir, outputName(file.path, result.model, result.format, taken));
      await writeFile(output, result.image);
      if (opts.showFaces && result.portrait?.boxes) {
        await writeFile(path.join(opts.outDir, outputName(file.path, `${result.model}.faces`, 'png', taken)), await drawFaces(result.image, result.portrait.boxes));
      }
      outcomes.push({ file: file.path, output, result, inputBytes: input.length });
      // The contact sheet is of photos; a clip is its own before/after.
      if (opts.sheet && !result.clip) pairs.push({ before: input, after: result.image });
    } catch (error) {
      outcomes.push({ file: file.path, error: isToonError(error) ? `${error.code}: ${error.message}` : String(error) });
    }
    bar?.increment();
  }
  bar?.stop();
  const elapsed = performance.now() - started;

  const ok = outcomes.filter((o) => o.result);
  const failed = outcomes.length - ok.length;
  const mean = ok.length ? ok.reduce((s, o) => s + (o.result?.timings.total ?? 0), 0) / ok.length : 0;
  const sheetPath = opts.sheet && pairs.length > 0 ? path.join(opts.outDir, 'contact-sheet.jpg') : undefined;
  if (sheetPath) await writeFile(sheetPath, await contactSheet(pairs));
  const providers = engine.providers();
  if (opts.json) {
    opts.print(JSON.stringify(batchJson(outcomes, { elapsed, mean, providers, options: opts.options, sheet: sheetPath }), null, 2));
    return outcomes;
  }

  const rows = outcomes.map((o) => {
    const t = o.result?.timings;
    return [
      path.basename(o.file),
      o.result ? `${o.result.width}x${o.result.height}` : '-',
      o.inputBytes === undefined ? '-' : bytes(o.inputBytes),
      t ? ms(t.decode) : '-',
      t ? ms(t.inference) : '-',
      t ? ms(t.encode) : '-',
      t ? ms(t.total) : '-',
      o.result ? bytes(o.result.image.length) : '-',
      o.result?.portrait ? String(o.result.portrait.faces) : '-',
      o.error ?? 'ok',
    ];
  });
  opts.print(renderTable(['file', 'output', 'in', 'decode', 'inference', 'encode', 'total', 'out', 'faces', 'status'], rows));
  opts.print(
    `\n${ok.length} done, ${failed} failed in ${ms(elapsed)}` +
      (ok.length
        ? `; ${ms(mean)} per image, style ${opts.options.style}, strength ${opts.options.strength}, ${opts.options.resolution} px, ${opts.options.format}; models ran on ${providers.join(', ') || 'cpu'}`
        : ''),
  );
  if (sheetPath) opts.print(`contact sheet: ${sheetPath}`);
  return outcomes;
}

/** `--json`: what the table and the summary line say, as one document. */
function batchJson(outcomes: readonly BatchOutcome[], run: { elapsed: number; mean: number; providers: string[]; options: CartoonOptions; sheet: string | undefined }) {
  const done = outcomes.filter((o) => o.result).length;
  return {
    files: outcomes.map(({ file, output, result, inputBytes, error }) => ({
      file,
      ...(result
        ? {
            ok: true,
            output,
            width: result.width,
            height: result.height,
            inputBytes,
            outputBytes: result.image.length,
            timings: result.timings,
            tiles: result.tiles,
            ...(result.portrait ? { faces: result.portrait.faces } : {}),
          }
        : { ok: false, error }),
    })),
    summary: {
      done,
      failed: outcomes.length - done,
      elapsedMs: Math.round(run.elapsed),
      meanMs: Math.round(run.mean),
      options: run.options,
      providers: run.providers,
      ...(run.sheet ? { sheet: run.sheet } : {}),
    },
  };
}
