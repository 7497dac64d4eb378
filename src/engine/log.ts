/**
 * The logging seam: the engine only ever logs ids, sizes and timings, never image bytes. The
 * process writes pino's JSON lines (numeric levels, `time`, `msg`) to stderr, so that standard
 * tooling reads them and stdout stays free for CLI output.
 */
import { pino, stdSerializers, stdTimeFunctions } from 'pino';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** pino on stderr, written synchronously (a stopping process must not lose its last lines). */
export function createLogger(level: LogLevel = 'info'): Logger {
  const log = pino(
    {
      level,
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      // Errors in fields keep their name, message, code and stack.
      serializers: { error: stdSerializers.err, cause: stdSerializers.err, err: stdSerializers.err },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  const emit = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (fields) log[lvl](fields, message);
    else log[lvl](message);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Logs nothing. */
export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
