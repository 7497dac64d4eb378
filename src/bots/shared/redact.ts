/**
 * A logger that blanks secrets (bot tokens) out of everything it writes: error messages from HTTP
 * clients can carry request URLs, and Telegram's URLs carry the token.
 */
import type { Logger } from '../../engine/index.ts';

export function redactingLogger(logger: Logger, secrets: readonly string[]): Logger {
  const live = secrets.filter((s) => s.length >= 8);
  const clean = (value: string): string => live.reduce((text, secret) => text.split(secret).join('<redacted>'), value);
  const scrub = (fields?: Record<string, unknown>): Record<string, unknown> | undefined => {
    if (!fields) return fields;
    const json = JSON.stringify(fields, (_k, v: unknown) =>
      v instanceof Error ? { name: v.name, message: v.message, ...((v as { code?: unknown }).code === undefined ? {} : { code: (v as { code?: unknown }).code }) } : v,
    );
    return JSON.parse(clean(json)) as Record<string, unknown>;
  };
  return {
    debug: (m, f) => logger.debug(clean(m), scrub(f)),
    info: (m, f) => logger.info(clean(m), scrub(f)),
    warn: (m, f) => logger.warn(clean(m), scrub(f)),
    error: (m, f) => logger.error(clean(m), scrub(f)),
  };
}
