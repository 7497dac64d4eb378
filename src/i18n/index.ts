/**
 * Every text a user reads, English and Simplified Chinese, English the fallback: the chat bots'
 * replies and the command line's error lines. Limits come from configuration (TextContext).
 */
import type { ToonError } from '../engine/index.ts';
import type { Catalog, Lang, TextContext } from './catalog.ts';
import { en } from './en.ts';
import { zh } from './zh.ts';

export type { Catalog, Lang, Platform, TextContext } from './catalog.ts';

const CATALOGS: Record<Lang, Catalog> = { en, zh };

/** `zh`, `zh-hans`, `zh-CN`... -> zh; anything else (or nothing) -> en. */
export function pickLang(code: string | undefined | null): Lang {
  return code?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function texts(lang: Lang): Catalog {
  return CATALOGS[lang];
}

/** The text for an error, specific to the option or word at fault when the error names one. */
export function errorText(lang: Lang, error: ToonError, context: TextContext): string {
  const t = texts(lang);
  if (error.code === 'INVALID_OPTION') {
    if (typeof error.detail.word === 'string') return t.unknownWord(error.detail.word);
    if (typeof error.detail.option === 'string') return t.invalidOption(error.detail.option, context.styles);
  }
  return t.errors[error.code](context, error.detail);
}
