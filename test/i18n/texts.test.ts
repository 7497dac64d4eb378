import { describe, expect, it } from 'vitest';
import { resultCaption, textContext } from '../../src/bots/shared/captions.ts';
import '../../src/bots/shared/errors.ts';
import { errorCodes, ToonError, type CartoonResult, type Engine } from '../../src/engine/expert.ts';
import { errorText, pickLang, texts, type TextContext } from '../../src/i18n/index.ts';

const context: TextContext = { platform: 'telegram', styles: ['toon', 'toon-portrait'], maxMegapixels: 40 };

describe('texts', () => {
  it('has a text for every error code in both languages, and the two differ', () => {
    for (const code of errorCodes()) {
      const en = errorText('en', new ToonError(code), context);
      const zh = errorText('zh', new ToonError(code), context);
      expect(en.length, code).toBeGreaterThan(10);
      expect(zh.length, code).toBeGreaterThan(4);
      expect(zh, code).not.toBe(en);
    }
  });

  it('states limits from configuration, not from the catalog', () => {
    const tooLarge = new ToonError('IMAGE_TOO_LARGE');
    expect(errorText('en', tooLarge, { ...context, maxMegapixels: 12 })).toContain('at most 12 megapixels');
    expect(errorText('zh', tooLarge, { ...context, maxMegapixels: 12 })).toContain('12');
    const overDownload = new ToonError('DOWNLOAD_LIMIT', { detail: { bytes: 60e6, maxBytes: 50e6 } });
    expect(errorText('en', overDownload, context)).toContain('larger than 50 MB');
  });

  it('names the option or the word at fault, with the styles on offer', () => {
    expect(errorText('en', new ToonError('INVALID_OPTION', { detail: { option: 'style' } }), context)).toBe('Style must be one of toon, toon-portrait.');
    expect(errorText('en', new ToonError('INVALID_OPTION', { detail: { word: 'banana' } }), context)).toContain('"banana"');
    expect(errorText('zh', new ToonError('INVALID_OPTION', { detail: { option: 'strength' } }), context)).toContain('0 到 1');
  });

  it('words platform refusals for the platform they happen on', () => {
    const busy = new ToonError('GROUP_BUSY');
    expect(errorText('en', busy, { ...context, platform: 'discord' })).toMatch(/^This server/);
    expect(errorText('en', busy, context)).toMatch(/^This group/);
    expect(errorText('en', new ToonError('DOWNLOAD_FAILED'), { ...context, platform: 'discord' })).toContain('Upload it to Discord');
    expect(errorText('en', new ToonError('DOWNLOAD_FAILED'), context)).not.toContain('Discord');
  });

  it('never shows what an error carries in `message` or `detail` as text', () => {
    const error = new ToonError('CORRUPT_IMAGE', { message: 'libvips: VipsJpeg: premature end of input file', detail: { text: 'injected' } });
    const shown = errorText('en', error, context);
    expect(shown).toBe('That image looks damaged or incomplete. Try sending it again.');
  });

  it('picks Chinese for any zh locale and English otherwise', () => {
    expect(['zh', 'zh-CN', 'zh-hans', 'ZH-TW'].map(pickLang)).toEqual(['zh', 'zh', 'zh', 'zh']);
    expect(['en-GB', 'de', '', undefined, null].map(pickLang)).toEqual(['en', 'en', 'en', 'en', 'en']);
    expect(texts('zh').help('toon_bot')).toContain('256..2048');
  });
});

describe('captions', () => {
  const result = (queued: number, work: number, noFace = false, size = 1024) =>
    ({
      width: size,
      height: Math.round((size * 2) / 3),
      options: { style: 'toon', strength: 0.7, resolution: 1024, format: 'png' },
      timings: { queued, decode: work / 2, inference: work / 4, encode: work / 4, total: queued + work },
      ...(noFace ? { portrait: { faces: 0, noFace: true, detectMs: 1, headMs: 0 } } : {}),
    }) as unknown as CartoonResult;

  it('says when the photo was too small to enlarge to the size asked for', () => {
    expect(resultCaption('en', [result(100, 300, false, 400)], 400)).toBe('⏱ queue 0.1 s · processing 0.3 s · total 0.4 s · made at 400 px: the photo is too small to enlarge further');
    expect(resultCaption('zh', [result(100, 300, false, 400)], 400)).toContain('按 400 像素生成');
  });

  it('sums the timings of a batch, and adds a line for a photo without a face', () => {
    expect(resultCaption('en', [result(200, 1000)], 1500)).toBe('⏱ queue 0.2 s · processing 1.0 s · total 1.5 s');
    expect(resultCaption('en', [result(200, 1000), result(100, 3000, true)], 5000, { resized: true })).toBe(
      "⏱ queue 0.3 s · processing 4.0 s · total 5.0 s · made smaller to fit Discord's upload limit\nNo face found: cartoonised the whole picture.",
    );
  });

  it('takes the facts texts need from the engine', () => {
    const engine = { styles: () => [{ id: 'toon', name: 'Toon', description: '' }], limits: { maxPixels: 24_000_000, maxBytes: 1 } } as unknown as Engine;
    expect(textContext(engine, 'discord')).toEqual({ platform: 'discord', styles: ['toon'], maxMegapixels: 24 });
  });
});
