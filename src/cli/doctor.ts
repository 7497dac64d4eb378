/**
 * `toonbot doctor`: what this machine can run the models on, and what they actually run on. Shows
 * the provider plan (what `auto` tries and why), then opens every style on it, runs one frame
 * through each, and compares the result with the CPU's.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { createEngine, type Engine, type EngineOptions } from '../engine/index.ts';
import { planProviders, probeSystem, describeGpus } from '../engine/expert.ts';

export async function doctor(options: EngineOptions & { runtime: { provider: string } }, print: (line: string) => void): Promise<number> {
  const probe = probeSystem();
  const plan = planProviders(options.runtime.provider);
  print(`onnxruntime-node ${ort.env.versions.node ?? '?'}, Node ${process.version}, ${process.platform}/${process.arch}`);
  print(`GPUs the system shows: ${describeGpus(probe)}; CUDA provider libraries: ${probe.cudaLibraries ? 'installed' : 'not installed'}`);
  print(`provider requested: ${plan.requested}; tried in order: ${plan.candidates.join(' -> ')}`);
  for (const reason of plan.reasons) print(`  ${reason}`);
  const photo = await sharp({ create: { width: 384, height: 256, channels: 3, background: { r: 180, g: 120, b: 90 } } })
    .composite([{ input: Buffer.from('<svg width="384" height="256"><circle cx="190" cy="120" r="70" fill="#f0c8a0"/><rect x="40" y="200" width="300" height="40" fill="#304060"/></svg>') }])
    .png()
    .toBuffer();
  const run = async (engine: Engine, style: string) => {
    const started = performance.now();
    const result = await engine.submit({ image: photo, options: { style, resolution: 256, format: 'png' } });
    return { result, ms: performance.now() - started };
  };
  const engine = await createEngine(options);
  let cpu: Engine | undefined;
  let failures = 0;
  try {
    for (const style of engine.styles()) {
      try {
        const { result, ms } = await run(engine, style.id);
        let compared = '';
        // Compared with the CPU only when the model runs elsewhere.
        if (engine.providers().some((p) => p !== 'cpu')) {
          cpu ??= await createEngine({ ...options, runtime: { ...options.runtime, provider: 'cpu' } });
          const reference = (await run(cpu, style.id)).result;
          const [a, b] = await Promise.all([sharp(result.image).raw().toBuffer(), sharp(reference.image).raw().toBuffer()]);
          let max = 0;
          for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
          compared = `, largest difference from the CPU: ${max} grey level${max === 1 ? '' : 's'}`;
        }
        print(`${style.id.padEnd(16)} ok: first 256 px job ${Math.round(ms)} ms${compared}`);
      } catch (error) {
        failures += 1;
        print(`${style.id.padEnd(16)} FAILED: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    print(`models run on: ${engine.providers().join(', ') || 'nothing opened'}`);
  } finally {
    await engine.close();
    await cpu?.close();
  }
  return failures === 0 ? 0 : 1;
}
