/** The benchmark's report as markdown (bench-results/bench.md). */
import { againstTable } from './against.ts';
import type { BenchReport } from './rows.ts';

export function toMarkdown(r: BenchReport): string {
  const s = (v: string | number | boolean | undefined): string => (v === undefined ? '-' : String(v));
  const md = (header: string[], rows: string[][]): string =>
    `${[`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')}\n`;
  return [
    `# ToonBot benchmark`,
    ``,
    `Execution provider: ${r.provider} requested, the models ran on ${r.ranOn.join(', ') || '?'}.`,
    ``,
    `${r.date}; ${r.machine}; ${r.wallSeconds} s in all. Input: a ${r.inputSide}x${r.inputSide} JPEG photo; strength 0.7; PNG out. Medians; times in ms; overhead = median of (end-to-end / bare) over alternating runs.`,
    ``,
    `## Per output size`,
    ``,
    md(
      ['model', 'output', 'tiles', 'decode', 'inference', 'encode', 'end-to-end', 'bare inference', 'overhead', 'peak RSS MiB'],
      r.sizes.map((x) => [s(x.model), `${s(x.width)}x${s(x.height)}`, s(x.tiles), s(x.decodeMs), s(x.inferenceMs), s(x.encodeMs), s(x.totalMs), s(x.bareMs), `${s(x.overhead)}x`, s(x.peakRssMiB)]),
    ),
    `Untiled, bare: ${s(r.untiled.model)} at ${s(r.untiled.resolution)}² takes ${s(r.untiled.inferenceMs)} ms and peaks at ${s(r.untiled.peakRssMiB)} MiB RSS.`,
    ``,
    `## The face pass`,
    ``,
    `Toon at ${s(r.portrait.resolution)} px with its face pass (detection, crops, face graphs, paste back) against toon with the face pass taken out; peak RSS ${s(r.portrait.peakRssMiB)} MiB.`,
    ``,
    md(
      ['photo', 'faces', 'detection ms', 'faces ms', 'end-to-end ms', 'without the face pass ms', 'added'],
      r.portrait.cases.map((c) => [c.photo, s(c.faces), s(c.detectMs), s(c.headMs), s(c.totalMs), s(c.frameOnlyMs), `${Math.round(c.added * 100)} %`]),
    ),
    ...(r.against
      ? [
          `## Against an older build`,
          ``,
          'skipped' in r.against
            ? `Not measured against ${r.against.commit}: ${r.against.skipped}.`
            : `${r.against.style} at ${r.against.resolution} px, end to end (queue wait left out), this build against ${r.against.commit} (the build before every look drew faces unless --against named another), each in a child process of its own per round, the order swapped every round; medians of ${r.against.runs} runs per round, ${r.against.rounds} rounds.\n\n${againstTable(r.against)}\n`,
          ``,
        ]
      : []),
    `## A clip`,
    ``,
    `${s(r.clip.frames)} frames at ${s(r.clip.fps)} fps, ${s(r.clip.width)}x${s(r.clip.height)}, toon with its face pass, MP4 in and out (${s(r.clip.bytes)} bytes): ${s(r.clip.clipMs)} ms end to end; the same frames as ${s(r.clip.frames)} PNG photos one by one: ${s(r.clip.photosMs)} ms (clip / photos ${s(r.clip.ratio)}x). A photo sent while a clip runs waited ${s(r.clip.photoWaitMs)} ms for its turn; peak RSS ${s(r.clip.peakRssMiB)} MiB.`,
    ``,
    `## Reply paths`,
    ``,
    `A ${s(Math.round(r.replies.inputBytes / 1024))} KiB 1280 px JPEG in (as Telegram hands a bot a photo), toon with its face pass; "model" is the whole-frame graph and the face pass. "In a burst": ${s(r.replies.paths[0]?.burst ?? 0)} replies submitted at once, the wall time per reply (decode and encode run beside the neighbouring jobs' graphs).`,
    ``,
    md(
      ['path', 'output', 'decode ms', 'model ms', 'encode ms', 'end to end ms', 'end to end / model', 'per reply in a burst ms', 'burst / model', 'upload KiB'],
      r.replies.paths.map((p) => [
        p.path,
        s(p.resolution),
        s(p.decodeMs),
        s(p.modelMs),
        s(p.encodeMs),
        s(p.totalMs),
        s(Math.round((p.totalMs / p.modelMs) * 100) / 100),
        s(p.burstMs),
        s(Math.round((p.burstMs / p.modelMs) * 100) / 100),
        s(Math.round(p.bytes / 1024)),
      ]),
    ),
    `## Switching looks`,
    ``,
    `At ${s(r.switching.resolution)} px through the engine at its defaults, toon then each other look in turn (${s(r.switching.jobs.length / 4)} rounds): each look's first job after a change ${s(r.switching.firstMs)} ms against its second in a row ${s(r.switching.warmMs)} ms (medians): ${s(r.switching.ratio)}x, the slowest ${s(r.switching.worstRatio)}x; peak RSS ${s(r.switching.peakRssMiB)} MiB.`,
    ``,
    md(
      ['round', 'look', 'first job ms', 'second job ms'],
      r.switching.jobs.map((j) => [s(j.round), j.look, s(j.firstMs), s(j.againMs)]),
    ),
    `## The journal`,
    ``,
    `Toon at ${s(r.journal.resolution)} px: ${s(r.journal.plainMs)} ms end to end; with the journal's four fsynced writes around it (the job written before it runs, the status, delivered, done) ${s(r.journal.journalledMs)} ms; the writes themselves ${s(r.journal.linesMs)} ms, ${s(Math.round(r.journal.added * 10_000) / 100)} % of the job (medians of ${s(r.journal.runs)}).`,
    ``,
    `## Serial batch`,
    ``,
    md(
      ['model', 'output', 'images', 'RSS start MiB', 'RSS end MiB', 'RSS max MiB', 'median per image'],
      r.batches.map((x) => [s(x.model), s(x.resolution), s(x.images), s(x.rssStartMiB), s(x.rssEndMiB), s(x.rssMaxMiB), s(x.medianMs)]),
    ),
    `## Two users at once`,
    ``,
    md(
      ['model', 'output', 'alone', 'served first', 'served second', 'added (mean of both)', 'added (second)'],
      r.pairs.map((x) => [s(x.model), s(x.resolution), s(x.aloneMs), s(x.firstMs), s(x.secondMs), s(x.addedMeanMs), s(x.addedSecondMs)]),
    ),
    `## int8 on the CPU (QDQ, calibrated on the fixtures)`,
    ``,
    'skipped' in r.int8
      ? `Skipped: ${r.int8.skipped}\n`
      : md(
          ['model', 'output', 'fp32 bare', 'int8 bare', 'int8 / fp32 (paired median)', 'mean error (grey levels)', '99th percentile', 'file fp32 / int8 bytes'],
          [
            [
              s(r.int8.model),
              `${s(r.int8.resolution)}²`,
              s(r.int8.fp32Ms),
              s(r.int8.int8Ms),
              `${s(r.int8.ratio)}x`,
              s(r.int8.meanError),
              s(r.int8.p99Error),
              `${s(r.int8.fp32Bytes)} / ${s(r.int8.int8Bytes)}`,
            ],
          ],
        ),
    `## Scale-out mode (one worker behind Redis, built-in style)`,
    ``,
    'skipped' in r.scale
      ? `Skipped: ${r.scale.skipped}\n`
      : md(
          [
            'output',
            'embedded',
            'through Redis',
            'added per job',
            'of which transit (total - worker processing)',
            `Redis before ${s(r.scale.batch)} jobs, KiB`,
            'after, KiB',
            'of which the events stream (capped), KiB',
            'keys before',
            'keys after',
          ],
          [
            [
              s(r.scale.resolution),
              s(r.scale.embeddedMs),
              s(r.scale.redisMs),
              s(r.scale.addedMs),
              s(r.scale.transitMs),
              s(r.scale.redisStartKiB),
              s(r.scale.redisEndKiB),
              s(r.scale.eventsDeltaKiB),
              s(r.scale.keysStart),
              s(r.scale.keysEnd),
            ],
          ],
        ),
  ].join('\n');
}
