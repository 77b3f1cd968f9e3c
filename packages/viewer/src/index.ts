// @utp/viewer: the app is a static site (app-dist/, built by build.mjs); this entry exports the types
// a plugin or an embedding page needs.
export type { DrawContext, ViewerPlugin } from './plugin.js';
export type { FrameData, FrameRequest, RowFrame, RowSpec, ListRow, Summary, FilterState, Request } from './protocol.js';
