/** The styles on offer, as front ends list them (from the models' manifests). */
import type { ModelEntry } from './manifest.ts';
import type { StyleInfo } from './types.ts';

/** The styles on offer among `models` (listed ones), as front ends show them. */
export function listedStyles(models: Iterable<ModelEntry>): StyleInfo[] {
  return [...models]
    .filter((m) => m.manifest.listed)
    .map(({ manifest: { id, name, description, descriptions, license, pipeline, aliases } }) => ({
      id,
      name,
      description,
      ...(descriptions ? { descriptions } : {}),
      license,
      portrait: pipeline === 'portrait',
      ...(aliases?.length ? { aliases } : {}),
    }));
}

/** Every name a user may give a style by: the ids and their aliases. */
export function styleNames(styles: readonly StyleInfo[]): string[] {
  return styles.flatMap((s) => [s.id, ...(s.aliases ?? [])]);
}
