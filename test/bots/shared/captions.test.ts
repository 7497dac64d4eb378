import { describe, expect, it } from 'vitest';
import { resultCaption } from '../../../src/bots/shared/captions.ts';
import type { CartoonResult } from '../../../src/engine/index.ts';

const result = (width: number, height: number, resolution: number): CartoonResult =>
  ({
    image: Buffer.alloc(0),
    mime: 'image/png',
    format: 'png',
    width,
    height,
    model: 'toon',
    options: { style: 'toon', strength: 0.7, resolution, format: 'png' },
    timings: { queued: 100, decode: 10, inference: 200, encode: 20, total: 330 },
    tiles: 1,
  }) as CartoonResult;

describe('resultCaption', () => {
  it('says when the photo was too small to enlarge to the size asked for', () => {
    expect(resultCaption('en', [result(400, 200, 2048)], 400)).toBe('⏱ queue 0.1 s · processing 0.2 s · total 0.4 s · made at 400 px: the photo is too small to enlarge further');
    expect(resultCaption('zh', [result(400, 200, 2048)], 400)).toContain('按 400 像素生成');
    expect(resultCaption('en', [result(1024, 683, 1024)], 400)).not.toContain('px');
  });
});
