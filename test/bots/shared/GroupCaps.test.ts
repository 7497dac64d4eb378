import { describe, expect, it } from 'vitest';
import { GroupCaps } from '../../../src/bots/shared/GroupCaps.ts';

describe('GroupCaps', () => {
  it('holds up to the cap per group, refuses the next with GROUP_BUSY, and frees a place once (not twice)', () => {
    const caps = new GroupCaps(2);
    const a = caps.hold('g1');
    caps.hold('g1');
    expect(() => caps.hold('g1')).toThrow(expect.objectContaining({ code: 'GROUP_BUSY' }));
    // Other groups are not affected.
    expect(() => caps.hold('g2')).not.toThrow();
    a();
    a();
    expect(caps.heldBy('g1')).toBe(1);
    expect(() => caps.hold('g1')).not.toThrow();
    expect(() => caps.hold('g1')).toThrow(expect.objectContaining({ code: 'GROUP_BUSY' }));
  });
});
