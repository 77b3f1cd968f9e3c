/** sched: task-state bars on task rows (running / runnable / blocked) and wakeup-latency links. */
import type { ViewerPlugin } from '../plugin.js';

export const schedPlugin: ViewerPlugin = {
  id: 'sched',
  title: 'sched: task states and wakeup latency',
  enabled: true,
  drawRow(dc, index, row, data) {
    if (row.kind !== 'task') return;
    const g = dc.g;
    const y = dc.rowY(index) + dc.rowH - 5;
    const n = data.overlay.length;
    const w = dc.width / n;
    const colors = ['', dc.dark ? '#7a5c1e' : '#e8c37a', dc.dark ? '#a33' : '#e35d5d', dc.dark ? '#2f9e57' : '#39b36a'];
    let b = 0;
    while (b < n) {
      const v = data.overlay[b]!;
      let e = b + 1;
      while (e < n && data.overlay[e] === v) e++;
      if (v > 0) {
        g.fillStyle = colors[v]!;
        g.fillRect(dc.left + b * w, y, (e - b) * w, 4);
      }
      b = e;
    }
  },
  drawOver(dc) {
    const wk = dc.frame.wakeups;
    if (!wk.length) return;
    const g = dc.g;
    g.strokeStyle = dc.dark ? '#f0b84a' : '#b9770e';
    g.fillStyle = g.strokeStyle;
    g.lineWidth = 1;
    for (let k = 0; k < wk.length; k += 3) {
      const pid = wk[k + 2]!;
      const r = dc.rows.findIndex((x) => x.kind === 'task' && x.pid === pid);
      if (r < 0) continue;
      const y = dc.rowY(r) + dc.rowH - 8;
      const x0 = dc.x(wk[k]!),
        x1 = dc.x(wk[k + 1]!);
      g.beginPath();
      g.moveTo(x0, y - 4);
      g.lineTo(x0, y);
      g.lineTo(x1, y);
      g.stroke();
      g.beginPath();
      g.moveTo(x1, y);
      g.lineTo(x1 - 3, y - 3);
      g.lineTo(x1 - 3, y + 3);
      g.fill();
    }
  },
};
