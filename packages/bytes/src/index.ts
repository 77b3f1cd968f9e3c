export { UtpError, BytesErrorCode, isUtpError, describeError } from './errors.js';
export type { UtpErrorOptions } from './errors.js';
export { ByteReader, decodeUtf8, dataView } from './byte-reader.js';
export { decodeLatin1, latin1IsNative } from './latin1.js';
export { ByteWriter } from './byte-writer.js';
export { MemorySource, BlobSource } from './byte-source.js';
export type { ByteSource } from './byte-source.js';
export { ElfFile, ElfErrorCode, noteBuildId } from './elf.js';
export type { ElfSymbol, ElfSymbolEntry, ElfPltSymbol, ElfSegment, ElfSection } from './elf.js';
