/**
 * The engine's public entry. Adapters, the CLI and the benchmark import from here only.
 */
export { createEngine, forSide, DEFAULT_ENGINE_CONFIG, DEFAULT_MODELS_DIR } from './Engine.ts';
export type { CartoonRequest, CartoonResult, Engine, EngineConfig, EngineOptions, PortraitInfo, StyleInfo, SubmitOptions, Timings } from './Engine.ts';

export { parseOptions, BUILTIN_STYLE_ID, DEFAULT_OPTIONS, OPTION_LIMITS, OUTPUT_FORMATS } from './options.ts';
export type { CartoonOptions, OutputFormat, RawOptions } from './options.ts';

export { ToonError, ERROR_CODES, USER_MESSAGES, isToonError, toToonError } from './errors.ts';
export type { ErrorCode } from './errors.ts';

export { createLogger, silentLogger } from './log.ts';
export type { Logger, LogLevel } from './log.ts';

export { DEFAULT_QUEUE_LIMITS } from './JobQueue.ts';
export type { QueueLimits, QueueStats } from './JobQueue.ts';
export type { RuntimeConfig } from './session.ts';
export type { ImageLimits } from './image.ts';

// Expert: building blocks for benchmarks and custom pipelines.
export { JobQueue } from './JobQueue.ts';
export { loadManifests, validateManifest, INSTALLED_DIR } from './manifest.ts';
export type { HeadSpec, ModelEntry, ModelManifest, ModelIO, SizeVariant, TileSpec } from './manifest.ts';
export { ModelSession } from './session.ts';
export { stylise, planTiles } from './fullFrame.ts';
export { decodeImage, encodeImage, probeImage, targetSize, INPUT_FORMATS, MIME_TYPES } from './image.ts';
export type { RgbFrame } from './image.ts';
export { FaceFinder } from './faces/FaceFinder.ts';
export { FaceDetector, type Face, type Point } from './faces/BlazeFace.ts';
export { faceTransform, fitSimilarity, invert, apply as applySimilarity, warpCrop, pasteBack, ellipseMask, REFERENCE, CROP_SIZE, type Similarity } from './faces/align.ts';
export { stylisePortrait, type FaceBox } from './portrait.ts';
