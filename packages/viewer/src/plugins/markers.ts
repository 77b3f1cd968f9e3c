/** markers: trace_marker writes (ftrace print) as dashed lines with their text. */
import type { ViewerPlugin } from '../plugin.js';

export const markersPlugin: ViewerPlugin = {
  id: 'markers',
  title: 'markers (trace_marker)',
  enabled: true,
  drawOver(dc) {
    const g = dc.g;
    g.save();
    g.setLineDash([3, 3]);
    g.strokeStyle = dc.dark ? '#b48cff' : '#7b3fd6';
    g.fillStyle = g.strokeStyle;
    g.font = '10px system-ui, sans-serif';
    const ms = dc.frame.markers;
    for (let k = 0; k < ms.length; k++) {
      const m = ms[k]!;
      const x = Math.round(dc.x(m.ts)) + 0.5;
      g.beginPath();
      g.moveTo(x, 18);
      g.lineTo(x, dc.height);
      g.stroke();
      // the text where it fits before the next marker
      const room = (k + 1 < ms.length ? dc.x(ms[k + 1]!.ts) : dc.left + dc.width) - x - 6;
      let text = m.text.trim();
      while (text.length > 1 && g.measureText(text).width > room) text = text.slice(0, Math.floor(text.length * 0.8));
      if (room > 20) g.fillText(text, x + 3, 28);
    }
    g.restore();
  },
};
