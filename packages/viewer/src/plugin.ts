/**
 * The viewer's plugin interface: a plugin draws over the rows and/or the whole graph from the
 * frame the worker computed. A new plugin is one file in plugins/ added to plugins/index.ts.
 */
import type { FrameData, RowFrame, RowSpec } from './protocol.js';

export interface DrawContext {
  g: CanvasRenderingContext2D;
  /** Canvas x of a time (model ns). */
  x(t: number): number;
  t0: number;
  t1: number;
  /** Left edge of the plotting area and its width (CSS pixels). */
  left: number;
  width: number;
  height: number;
  rows: RowSpec[];
  rowY(row: number): number;
  rowH: number;
  frame: FrameData;
  colorOf(pid: number): string;
  dark: boolean;
}

export interface ViewerPlugin {
  id: string;
  title: string;
  enabled: boolean;
  /** Draws on one row (after its bins). */
  drawRow?(dc: DrawContext, index: number, row: RowSpec, data: RowFrame): void;
  /** Draws over everything. */
  drawOver?(dc: DrawContext): void;
}
