/**
 * The engine's building blocks, for the benchmark, the model tools (install, generate, verify) and
 * tests. Front ends use `index.ts`.
 */
export * from './index.ts';
export { DEFAULT_MODELS_DIR } from './Engine.ts';
export { EngineShell, type Backend, type BackendContext, type BackendJob, type ShellConfig } from './EngineShell.ts';
export type { JobOutput } from './pipeline.ts';
export type { EngineConfig, PortraitInfo, SubmitOptions, Timings } from './types.ts';
export { parseOptions, BUILTIN_STYLE_ID, DEFAULT_OPTIONS } from './options.ts';
export type { OutputFormat } from './options.ts';
export { ERROR_CODES, callSite } from './errors.ts';
export { sha256, sha256OfFile } from './checksum.ts';
export { JobQueue, DEFAULT_QUEUE_LIMITS } from './JobQueue.ts';
export type { QueueLimits } from './JobQueue.ts';
export { openSession } from './runtime.ts';
export type { RuntimeConfig } from './runtime.ts';
export { ModelSession } from './session.ts';
export { forSide } from './ModelCache.ts';
export { loadManifests, validateManifest, INSTALLED_DIR } from './manifest.ts';
export { listedStyles } from './styles.ts';
export type { HeadSpec, Int8Spec, ModelEntry, ModelManifest, ModelIO, SizeVariant, TileSpec } from './manifest.ts';
export { stylise, planTiles } from './fullFrame.ts';
export { mix } from './blend.ts';
export { decodeImage, encodeImage, probeImage, targetSize, INPUT_FORMATS, MIME_TYPES } from './image.ts';
export type { ImageLimits, RgbFrame } from './image.ts';
export { FaceFinder } from './faces/FaceFinder.ts';
export { FaceDetector, type Face, type Point } from './faces/BlazeFace.ts';
export { faceTransform, fitSimilarity, invert, apply as applySimilarity, warpCrop, pasteBack, ellipseMask, REFERENCE, CROP_SIZE, type Similarity } from './faces/align.ts';
export { cropSide, stylisePortrait } from './portrait.ts';
