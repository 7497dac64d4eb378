/**
 * Installing styles beyond the built-in one: DCT-Net's published styles pulled from ModelScope (or
 * a mirror) or imported from files on disk, converted to ONNX, locked and verified.
 */
export { DCTNET_STYLES, DEFAULT_MODELSCOPE_URL, InstallError, isDctnetStyle, styleId } from './styles.ts';
export type { FetchProgress } from './styles.ts';
export { importStyle, pullStyle, quantizeInstalled, removeInstalled } from './install.ts';
export { testRun, verifyInstalled } from './verify.ts';
