export { ctfDirSink, isCtfDir } from './write-dir.js';
export type { CtfDirSink } from './write-dir.js';
