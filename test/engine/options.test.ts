import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseOptions, ToonError } from '../../src/engine/expert.ts';

function invalid(fn: () => unknown): ToonError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ToonError);
    expect((error as ToonError).code).toBe('INVALID_OPTION');
    return error as ToonError;
  }
  throw new Error('expected INVALID_OPTION');
}

describe('parseOptions', () => {
  it('fills every default when nothing is given', () => {
    expect(parseOptions()).toEqual({ style: 'toon', strength: 0.7, resolution: 1024, format: 'png' });
    expect(parseOptions({})).toEqual(DEFAULT_OPTIONS);
  });

  it('accepts numbers and the strings a user types', () => {
    expect(parseOptions({ strength: '0.8', resolution: '2048', format: 'JPG', style: 'toon' }, ['toon'])).toEqual({
      style: 'toon',
      strength: 0.8,
      resolution: 2048,
      format: 'jpeg',
    });
    expect(parseOptions({ strength: 0, resolution: 256, format: 'webp' }).strength).toBe(0);
    expect(parseOptions({ strength: 1 }).strength).toBe(1);
    expect(parseOptions({ strength: '.5' }).strength).toBe(0.5);
  });

  it('takes a JPEG/WebP quality from 1 to 100 when a caller names one, and has none otherwise', () => {
    expect(parseOptions({ format: 'jpeg', quality: '88' })).toMatchObject({ format: 'jpeg', quality: 88 });
    expect('quality' in parseOptions({ format: 'jpeg' })).toBe(false);
    expect(invalid(() => parseOptions({ quality: 0 })).message).toBe('Invalid quality: expected a whole number from 1 to 100, got 0.');
    expect(invalid(() => parseOptions({ quality: 88.5 })).detail.option).toBe('quality');
  });

  it('refuses out-of-range values instead of clamping them, naming the option and its range', () => {
    const e = invalid(() => parseOptions({ strength: 1.5 }));
    expect(e.message).toBe('Invalid strength: expected a number from 0 to 1, got 1.5.');
    expect(e.detail.option).toBe('strength');
    expect(invalid(() => parseOptions({ strength: -0.1 })).detail.option).toBe('strength');
    expect(invalid(() => parseOptions({ resolution: 4096 })).message).toContain('from 256 to 2048');
    expect(invalid(() => parseOptions({ resolution: 255 })).detail.option).toBe('resolution');
  });

  it('refuses malformed values', () => {
    expect(invalid(() => parseOptions({ strength: 'strong' })).message).toBe('Invalid strength: expected a number from 0 to 1, got "strong".');
    expect(invalid(() => parseOptions({ strength: Number.NaN })).detail.option).toBe('strength');
    expect(invalid(() => parseOptions({ resolution: '1024.5' })).message).toContain('a whole number');
    expect(invalid(() => parseOptions({ resolution: '1e3' })).detail.option).toBe('resolution');
    expect(invalid(() => parseOptions({ resolution: [1024] })).detail.option).toBe('resolution');
    expect(invalid(() => parseOptions({ format: 'gif' })).message).toBe('Invalid format: expected one of png, jpeg, webp, got "gif".');
  });

  it('accepts only the styles on offer, and lists them when refusing', () => {
    expect(parseOptions({ style: 'anime' }, ['toon', 'anime']).style).toBe('anime');
    const e = invalid(() => parseOptions({ style: 'sketch' }, ['toon', 'anime']));
    expect(e.message).toBe('Invalid style: expected one of toon, anime, got "sketch".');
    expect(invalid(() => parseOptions({ style: '../etc/passwd' })).detail.option).toBe('style');
  });
});
