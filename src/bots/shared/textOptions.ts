/**
 * Options typed as words, as in a Telegram caption or command:
 *   /cartoon 0.8 1024
 *   /cartoon@toonbot strength=0.8 res=2048 style=toon format=webp
 *   0.8 webp            (the same words without the command, in a private chat)
 * Values are not range-checked here: the engine's parseOptions does that, once, for everyone.
 */
import { echo, OUTPUT_FORMATS, ToonError, type RawOptions } from '../../engine/index.ts';

export interface ParsedText {
  /** The text starts with /<command> (addressed to this bot, or to no bot in particular). */
  command: string | null;
  /** The command was addressed to another bot (`/cartoon@otherbot`): not ours to answer. */
  otherBot: boolean;
  /** The bot was @mentioned. */
  mentioned: boolean;
  /**
   * The text is meant as options: it has a command, the word "cartoon", or key=value pairs.
   * Free text without any of these (a caption like "my cat") carries no options.
   */
  explicit: boolean;
  options: RawOptions;
  /** Words that are no option; an explicit text with any is an INVALID_OPTION. */
  unknown: string[];
}

const KEYS: Record<string, keyof RawOptions> = {
  strength: 'strength',
  s: 'strength',
  resolution: 'resolution',
  res: 'resolution',
  r: 'resolution',
  size: 'resolution',
  style: 'style',
  format: 'format',
  f: 'format',
};
const FORMAT_WORDS = new Set<string>([...OUTPUT_FORMATS, 'jpg']);

/** @param styles known style ids, so a bare style name is understood */
export function parseText(text: string | undefined, botUsername: string, styles: readonly string[]): ParsedText {
  const out: ParsedText = { command: null, otherBot: false, mentioned: false, explicit: false, options: {}, unknown: [] };
  const words = (text ?? '').trim().split(/\s+/).filter(Boolean);
  const me = botUsername.toLowerCase();
  const first = words[0];
  if (first?.startsWith('/')) {
    const [name, target] = first.slice(1).split('@');
    out.command = (name ?? '').toLowerCase();
    out.explicit = true;
    if (target && target.toLowerCase() !== me) out.otherBot = true;
    words.shift();
  } else if (first?.toLowerCase() === 'cartoon') {
    out.explicit = true;
    words.shift();
  }
  for (const word of words) {
    if (word.startsWith('@')) {
      if (word.slice(1).toLowerCase() === me) out.mentioned = true;
      continue;
    }
    const eq = word.indexOf('=');
    if (eq > 0) {
      const key = KEYS[word.slice(0, eq).toLowerCase()];
      out.explicit = true;
      if (key) out.options[key] = word.slice(eq + 1);
      else out.unknown.push(word);
      continue;
    }
    const lower = word.toLowerCase();
    if (/^[+-]?(\d+\.?\d*|\.\d+)(px)?$/.test(lower)) {
      const n = Number(lower.replace(/px$/, ''));
      // A number up to 1 is a strength; anything larger a resolution (checked by the engine).
      if (n <= 1 && !lower.endsWith('px')) out.options.strength = lower;
      else out.options.resolution = lower.replace(/px$/, '');
    } else if (FORMAT_WORDS.has(lower)) {
      out.options.format = lower;
    } else if (styles.includes(word)) {
      out.options.style = word;
    } else {
      out.unknown.push(word);
    }
  }
  if (!out.explicit && out.unknown.length > 0) out.options = {};
  return out;
}

/** The INVALID_OPTION for the first word of an explicit text that is no option. */
export function unknownWordError(parsed: ParsedText): ToonError | null {
  const word = parsed.explicit ? parsed.unknown[0] : undefined;
  if (word === undefined) return null;
  return new ToonError('INVALID_OPTION', { message: `I do not understand "${echo(word)}".`, detail: { word: echo(word) } });
}
