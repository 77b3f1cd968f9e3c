/** `trace-cmd report -F` filter engine (libtraceevent 1.7.1 parse-filter.c semantics). */
export { EventFilter, CompiledEventFilter, type FilterMatchResult } from './event-filter.js';
export { FilterErrorCode, FilterParser, type FilterNode } from './filter-parser.js';
export { breToRegExp } from './posix-regex.js';
