import { describe, expect, it } from 'vitest';
import { parseText, unknownWordError } from '../../../src/bots/shared/textOptions.ts';

const STYLES = ['toon', 'toon-portrait'];
const parse = (text: string | undefined) => parseText(text, 'toon_test_bot', STYLES);

describe('parseText: options typed as words in a caption or command', () => {
  it('reads bare words: a number up to 1 is a strength, a larger one (or px) a resolution, formats and style names', () => {
    expect(parse('/cartoon 0.8 1024').options).toEqual({ strength: '0.8', resolution: '1024' });
    expect(parse('/cartoon 1 512px jpg toon-portrait').options).toEqual({ strength: '1', resolution: '512', format: 'jpg', style: 'toon-portrait' });
    // A bare "1px" is a resolution, not a strength (the engine then says it is out of range).
    expect(parse('/cartoon 1px').options).toEqual({ resolution: '1' });
  });

  it('reads key=value pairs with their short names, case-insensitively', () => {
    expect(parse('strength=0.3 RES=2048 f=webp style=toon').options).toEqual({ strength: '0.3', resolution: '2048', format: 'webp', style: 'toon' });
    expect(parse('s=0.5 r=256 size=300').options).toEqual({ strength: '0.5', resolution: '300' });
  });

  it('knows the command, who it is addressed to, and mentions', () => {
    expect(parse('/Cartoon@toon_test_bot 0.5')).toMatchObject({ command: 'cartoon', otherBot: false, explicit: true });
    expect(parse('/cartoon@other_bot')).toMatchObject({ command: 'cartoon', otherBot: true });
    expect(parse('hey @TOON_TEST_BOT 0.9')).toMatchObject({ command: null, mentioned: true, options: {} });
    expect(parse('cartoon 0.9')).toMatchObject({ command: null, explicit: true, options: { strength: '0.9' } });
  });

  it('treats free text as no options at all, but names unknown words in an explicit request', () => {
    const chatter = parse('my cat at 2 years');
    expect(chatter).toMatchObject({ explicit: false, options: {} });
    expect(unknownWordError(chatter)).toBeNull();

    const typo = parse('/cartoon 0.8 banana');
    expect(typo.options).toEqual({ strength: '0.8' });
    const error = unknownWordError(typo);
    expect(error?.code).toBe('INVALID_OPTION');
    expect(error?.detail.word).toBe('banana');
    expect(unknownWordError(parse('colour=red'))?.detail.word).toBe('colour=red');
  });

  it('cuts a long unknown word to 40 characters and survives empty text', () => {
    expect(unknownWordError(parse(`/cartoon ${'x'.repeat(500)}`))?.detail.word).toHaveLength(40);
    expect(parse(undefined)).toMatchObject({ command: null, explicit: false, options: {}, unknown: [] });
    expect(parse('   ')).toMatchObject({ command: null, options: {} });
  });
});
