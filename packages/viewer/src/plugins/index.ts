/** The plugins the viewer loads, in drawing order. */
import type { ViewerPlugin } from '../plugin.js';
import { schedPlugin } from './sched.js';
import { irqPlugin } from './irq.js';
import { lostPlugin } from './lost.js';
import { markersPlugin } from './markers.js';

export const plugins: ViewerPlugin[] = [schedPlugin, irqPlugin, lostPlugin, markersPlugin];
