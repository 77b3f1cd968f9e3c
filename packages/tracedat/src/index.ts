// Public API of @utp/tracedat.
export * from './writer/index.js';
