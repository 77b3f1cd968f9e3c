export { FileSource } from './file-source.js';
