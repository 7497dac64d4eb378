/** The checked-in photos (see dev/fixtures/README.md for provenance and licences), for tests and scripts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/** A fixture photo. */
export function fixture(name: 'astronaut.png' | 'chelsea.png' | 'coffee.png' | 'hopper.jpg' | 'cameraman.jpg' | 'friends.jpg'): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

/** The everyday scenes of dev/fixtures/scenes (food, lawn, street, foliage, people, animals; see its README). */
export const SCENES = ['building', 'cups', 'desk', 'flower', 'football', 'forest', 'fruits', 'jetty', 'ladybird', 'lawn', 'leaves', 'rocket', 'squirrel'] as const;

export function scene(name: (typeof SCENES)[number]): Buffer {
  return readFileSync(path.join(FIXTURES, 'scenes', `${name}.jpg`));
}
