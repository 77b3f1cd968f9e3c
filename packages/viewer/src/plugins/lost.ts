/** missed events: hatched red spans where the kernel dropped events, with the count. */
import type { ViewerPlugin } from '../plugin.js';

export const lostPlugin: ViewerPlugin = {
  id: 'lost',
  title: 'missed events',
  enabled: true,
  drawRow(dc, index, row, data) {
    if (row.kind !== 'cpu' || !data.lost.length) return;
    const g = dc.g;
    const y = dc.rowY(index);
    for (let k = 0; k < data.lost.length; k += 3) {
      const x0 = dc.x(data.lost[k]!),
        x1 = Math.max(dc.x(data.lost[k + 1]!), x0 + 2);
      g.fillStyle = 'rgba(220,30,30,0.25)';
      g.fillRect(x0, y, x1 - x0, dc.rowH - 2);
      g.fillStyle = '#d11';
      g.fillRect(x1 - 2, y, 2, dc.rowH - 2);
      const n = data.lost[k + 2]!;
      g.font = '10px system-ui, sans-serif';
      g.fillText(n > 0 ? `${n} lost` : 'lost', x1 + 2, y + 10);
    }
  },
};
