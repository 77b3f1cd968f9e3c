/**
 * The live status line of `utp record` (tracefs and --perf) on a terminal: elapsed time, then
 * events, bytes and lost events per CPU and in total, redrawn in place (`\r` + erase to the end of
 * the line) a few times a second, and erased before the recorder prints its summary. Nothing is
 * drawn unless the stream is a TTY: piped or redirected output stays as it was.
 */

/** What a recorder has done on one CPU so far (cpu -1: a ring that is not a CPU's, e.g. per task). */
export interface CpuProgress {
  cpu: number;
  events: number;
  lost: number;
  bytes: number;
}

interface TtyStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): boolean;
}

/** 1234567 → "1.23M", 12345 → "12.3k", 999 → "999". */
export function shortCount(n: number): string {
  if (n < 1000) return String(n);
  for (const [d, u] of [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (n >= d) {
      const v = n / d;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${u}`;
    }
  }
  return String(n);
}

/** Bytes in binary units, short: 0B, 512B, 1.50K, 12.3M, 1.02G (K = KiB). */
export function shortBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${units[i]}`;
}

/** Elapsed time as m:ss.s (h:mm:ss past an hour). */
export function elapsedText(ms: number): string {
  const s = ms / 1000;
  if (s >= 3600) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return `${h}:${String(m).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  }
  const m = Math.floor(s / 60);
  return `${m}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

/**
 * The line for one moment. Per CPU `CPUn EVENTS ev BYTES [LOST lost]` (bytes in KiB/MiB: K, M); when that does not fit
 * `width`, the total alone with the CPUs that lost events named.
 */
export function statusText(who: string, ms: number, cpus: readonly CpuProgress[], width: number, note?: string): string {
  if (note !== undefined) {
    const t = `${who}: ${elapsedText(ms)}  ${note}`;
    return t.length < width ? t : t.slice(0, width - 1);
  }
  let ev = 0,
    lost = 0,
    bytes = 0;
  for (const c of cpus) {
    ev += c.events;
    lost += c.lost;
    bytes += c.bytes;
  }
  const head = `${who}: ${elapsedText(ms)}`;
  const total = `total ${shortCount(ev)} ev ${shortBytes(bytes)} ${shortCount(lost)} lost`;
  const perCpu = cpus
    .filter((c) => c.cpu >= 0)
    .map((c) => `CPU${c.cpu} ${shortCount(c.events)} ev ${shortBytes(c.bytes)}${c.lost ? ` ${shortCount(c.lost)} lost` : ''}`);
  const full = [head, ...perCpu, total].join('  ');
  if (full.length < width) return full;
  const losing = cpus.filter((c) => c.cpu >= 0 && c.lost > 0).map((c) => c.cpu);
  const short = `${head}  ${total}${losing.length ? ` (CPU ${losing.join(',')})` : ''}`;
  return short.length < width ? short : short.slice(0, width - 1);
}

export class StatusLine {
  private timer: ReturnType<typeof setInterval> | undefined;
  private drawn = false;
  private readonly t0 = Date.now();

  /** Draws nothing unless `out` is a TTY and `enabled`. */
  constructor(
    private readonly who: string,
    private readonly progress: () => readonly CpuProgress[],
    private readonly out: TtyStream = process.stderr,
    private readonly enabled = true,
    private readonly everyMs: number = 250,
    /** Shown instead of the counts (a recorder that learns them only at the stop). */
    private readonly note?: string,
  ) {}

  get active(): boolean {
    return this.enabled && this.out.isTTY === true;
  }

  start(): this {
    if (!this.active || this.timer) return this;
    this.draw();
    this.timer = setInterval(() => this.draw(), this.everyMs);
    this.timer.unref?.();
    return this;
  }

  draw(): void {
    let cpus: readonly CpuProgress[];
    try {
      cpus = this.progress();
    } catch {
      return; // the recorder is stopping (its instance may be gone): keep the last line
    }
    this.out.write(`\r${statusText(this.who, Date.now() - this.t0, cpus, this.out.columns || 80, this.note)}\x1b[K`);
    this.drawn = true;
  }

  /** Stops redrawing and erases the line, so what the recorder prints next starts a clean line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
