// Public API of @utp/traceevent. Each module owns distinct export names.
export * from './types.js';
export * from './tep.js';
export type { EventFormat } from './event-format.js';
export * from './header-page.js';
export * from './kbuffer.js';
export * from './print-line.js';
export * from './plugins/index.js';
export * from './filter/index.js';
