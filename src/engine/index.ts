/**
 * The engine's public entry: what the chat adapters, the CLI and the configuration use. The
 * building blocks (sessions, pipelines, manifests, face alignment) are in `expert.ts`, for the
 * benchmark, the model tools and tests.
 */
export { createEngine, DEFAULT_ENGINE_CONFIG } from './Engine.ts';
export { styleNames } from './styles.ts';
export type { CartoonRequest, CartoonResult, Engine, EngineOptions, JobEvent, LateOutcome, Progress, ReplyAddress, StyleInfo } from './types.ts';

export { DEFAULT_OPTIONS, extensionOf, OPTION_LIMITS, OUTPUT_FORMATS } from './options.ts';
export type { CartoonOptions, OutputFormat, RawOptions } from './options.ts';
export type { ClipFormat, ClipRequest } from './clip/clip.ts';
export { shrinkClip } from './clip/clip.ts';

export { ToonError, isToonError, toToonError, echo, DEFAULT_MESSAGES, addErrorCodes } from './errors.ts';
export type { ErrorCode } from './errors.ts';

export { createLogger, silentLogger } from './log.ts';
export type { Logger, LogLevel } from './log.ts';

export type { QueueStats } from './JobQueue.ts';
export type { FaceBox } from './types.ts';
