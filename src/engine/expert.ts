/**
 * The engine's building blocks, for the benchmark, the model tools (install, generate, verify) and
 * tests. Front ends use `index.ts`.
 */
export * from './index.ts';
export { DEFAULT_MODELS_DIR, resolveEngineConfig } from './Engine.ts';
export type { EngineConfig } from './types.ts';
export { EngineShell, type Backend, type BackendContext, type BackendJob } from './EngineShell.ts';
export type { JobOutput } from './pipeline.ts';
export { parseOptions, BUILTIN_STYLE_ID } from './options.ts';
export { errorCodes, isErrorCode } from './errors.ts';
export { sha256, sha256OfFile } from './checksum.ts';
export { JobQueue } from './JobQueue.ts';
export type { QueueLimits } from './JobQueue.ts';
export type { RuntimeConfig } from './runtime.ts';
export { ModelSession } from './session.ts';
export { forSide } from './ModelCache.ts';
export { loadManifests, validateManifest, INSTALLED_DIR } from './manifest.ts';
export type { Int8Spec, ModelEntry, ModelManifest, ModelIO, SizeVariant, TileSpec } from './manifest.ts';
export { stylise, planTiles } from './fullFrame.ts';
export { decodeImage, encodeImage, probeImage, targetSize } from './image.ts';
export type { RgbFrame } from './image.ts';
export { FaceFinder } from './faces/FaceFinder.ts';
export type { Face, Point } from './faces/BlazeFace.ts';
export { faceTurn, fitSimilarity, invert, apply as applySimilarity, warpCrop, pasteBack, REFERENCE, CROP_SIZE, type Similarity } from './faces/align.ts';
export { cropSide } from './portrait.ts';
export { planProviders, probeSystem, describeGpus } from './providers.ts';
export { CLIP_LIMITS } from './clip/clip.ts';
