// Public API of @utp/ctf (CTF 1.8: the babeltrace role).
export { CtfError, CtfErrorCode } from './errors.js';
export { ValueEncoder } from './event-class.js';
export type {
  CtfClock,
  CtfEventClass,
  CtfField,
  CtfFieldType,
  CtfIntBase,
  CtfIntType,
  CtfStringType,
  CtfTextType,
  CtfArrayType,
  CtfSequenceType,
} from './event-class.js';
export { CtfWriter, CtfStream, CTF_MAGIC, tsdlIdent } from './writer.js';
export type { CtfWriterOptions } from './writer.js';
export { traceDatToCtf } from './from-tracedat.js';
export type { TraceDatToCtfOptions, TraceDatToCtfResult } from './from-tracedat.js';
export { CtfTrace } from './reader.js';
export { setStructCodegen } from './decoder.js';
export type { CtfStreamInput, CtfPrintOptions, CtfEventView } from './reader.js';
export { parseMetadata, metadataText } from './metadata.js';
export type {
  TraceClass,
  CtfType,
  StructT,
  IntT,
  EnumT,
  VariantT,
  ArrayT,
  SeqT,
  FloatT,
  StringT,
  ClockClass,
  EventClassT,
  StreamClassT,
  Member,
} from './metadata.js';
export { ctfToRecords } from './to-tracedat.js';
export type { CtfToRecordsOptions } from './to-tracedat.js';
export { CtfEventDecoder } from './event-fields.js';
export type { CtfFieldDesc, CtfValue } from './event-fields.js';
