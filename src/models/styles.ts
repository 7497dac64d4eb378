/**
 * DCT-Net's published styles (Apache-2.0, on ModelScope): which there are, the files each needs,
 * and the lock entry that records what was installed.
 */

export const DCTNET_STYLES = {
  anime: 'damo/cv_unet_person-image-cartoon_compound-models',
  '3d': 'damo/cv_unet_person-image-cartoon-3d_compound-models',
  handdrawn: 'damo/cv_unet_person-image-cartoon-handdrawn_compound-models',
  sketch: 'damo/cv_unet_person-image-cartoon-sketch_compound-models',
  artstyle: 'damo/cv_unet_person-image-cartoon-artstyle_compound-models',
  design: 'damo/cv_unet_person-image-cartoon-sd-design_compound-models',
  illustration: 'damo/cv_unet_person-image-cartoon-sd-illustration_compound-models',
} as const;
export type DctnetStyle = keyof typeof DCTNET_STYLES;

/** The files each style needs, as named in the ModelScope repositories. */
export const STYLE_FILES = { head: 'cartoon_h.pb', background: 'cartoon_bg.pb', mask: 'alpha.jpg' } as const;

export const DEFAULT_MODELSCOPE_URL = 'https://modelscope.cn';

export interface LockEntry {
  model: string;
  source: string;
  files: Record<string, { size: number; sha256: string }>;
  /** The file as it was given, when the installed one differs (float16 edges cast to float32). */
  from?: { size: number; sha256: string };
}

export interface FetchProgress {
  file: string;
  received: number;
  total: number;
}

export interface PullOptions {
  /** ModelScope's base URL (a mirror, or a test server). */
  baseUrl: string;
  /** The models folder; styles go to `<modelsDir>/installed/`. */
  modelsDir: string;
  onProgress?: (p: FetchProgress) => void;
  /** Attempts per file; each retry resumes where the last one stopped. @default 5 */
  attempts?: number;
  log?: (line: string) => void;
}

export class InstallError extends Error {
  override name = 'InstallError';
}

export function styleId(style: string): string {
  return `dctnet-${style}`;
}

export function isDctnetStyle(style: string): style is DctnetStyle {
  return Object.hasOwn(DCTNET_STYLES, style);
}
