/**
 * Installing styles beyond the built-in one: DCT-Net's published styles pulled from ModelScope (or
 * a mirror) or imported from files on disk, converted to ONNX, locked and verified.
 */
export { DCTNET_STYLES, DEFAULT_MODELSCOPE_URL, InstallError, isDctnetStyle, styleId, STYLE_FILES } from './styles.ts';
export type { DctnetStyle, FetchProgress, LockEntry, PullOptions } from './styles.ts';
export { importStyle, pullStyle, quantizeInstalled } from './install.ts';
export { fetchResumable } from './fetch.ts';
export { readLocks } from './lock.ts';
export { testRun, verifyInstalled, type Verdict } from './verify.ts';
