/** irq: hardirq (red) and softirq (orange) spans under each CPU row. */
import type { ViewerPlugin } from '../plugin.js';

export const irqPlugin: ViewerPlugin = {
  id: 'irq',
  title: 'irq / softirq',
  enabled: true,
  drawRow(dc, index, row, data) {
    if (row.kind !== 'cpu') return;
    const g = dc.g;
    const y = dc.rowY(index) + dc.rowH - 4;
    const n = data.overlay.length;
    const w = dc.width / n;
    for (let b = 0; b < n; b++) {
      const v = data.overlay[b]!;
      if (!v) continue;
      g.fillStyle = v === 2 ? '#d22' : '#f0a020';
      g.fillRect(dc.left + b * w, y, Math.max(1, w), 3);
    }
  },
};
