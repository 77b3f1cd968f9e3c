/** Messages between the page and the decoding worker. */

/** A row of the graph; `stream` is the file (0 = the first; the list shows the active one). */
export type RowSpec = { kind: 'cpu'; cpu: number; stream?: number } | { kind: 'task'; pid: number; stream?: number };

export interface FrameRequest {
  t0: number;
  t1: number;
  bins: number;
  rows: RowSpec[];
}

export interface RowFrame {
  count: Int32Array;
  first: Int32Array;
  dominant: Int32Array;
  /** Per bin: CPU rows: 1 hardirq, 2 softirq, 0 none; task rows: TaskState + 1 (0: unknown). */
  overlay: Int8Array;
  /** Lost-event spans on this CPU row: [start, end, count] triples. */
  lost: number[];
}

export interface FrameData {
  t0: number;
  t1: number;
  rows: RowFrame[];
  /** Wakeup → switch-in links of the task rows: [wakeTs, switchTs, pid] triples. */
  wakeups: number[];
  /** Markers in the window: ts and text. */
  markers: Array<{ ts: number; text: string; index: number }>;
  /** The worker's time computing this frame (ms; for benchmarks: the rest of a frame is transfer and paint). */
  workerMs?: number;
}

export interface ListRow {
  index: number;
  buffer: string;
  cpu: number;
  time: string;
  ts: number;
  comm: string;
  pid: number;
  latency: string;
  event: string;
  system: string;
  info: string;
}

export interface Summary {
  name: string;
  events: number;
  start: number;
  end: number;
  cpus: number[];
  tasks: Array<{ pid: number; name: string; count: number }>;
  classes: Array<{ id: number; system: string; name: string }>;
  /** Buffer (instance) names; '' is the top buffer. */
  buffers: string[];
  error: string | undefined;
  warnings: string[];
  bytesPerEvent: number;
  /** ms since the open request: fetch done, metadata parsed, model built. */
  timings: Record<string, number>;
}

export interface FilterState {
  events: number[] | undefined;
  tasks: number[] | undefined;
  cpus: number[] | undefined;
  expr: string | undefined;
}

/** One file of a CTF trace directory (metadata, a stream, utp's skeleton): fetched from `url` or read from `file`. */
export interface CtfFileRef {
  name: string;
  url?: string;
  file?: Blob;
}

export type Request =
  | {
      type: 'open';
      url?: string;
      file?: Blob;
      ctf?: CtfFileRef[];
      name: string;
      shift?: number;
      add?: boolean;
      replace?: boolean;
      /** utp view --live: `url` is the recording's head (live/meta); pages come with liveAppend. */
      live?: boolean;
    }
  /** utp view --live: fetch the pages drained since the last call (live/pages at `url`) and append them. */
  | { type: 'liveAppend'; url: string }
  | { type: 'activate'; stream: number }
  | { type: 'frame'; req: FrameRequest }
  | { type: 'list'; from: number; count: number }
  | { type: 'filter'; filter: FilterState }
  | { type: 'position'; index: number }
  | { type: 'positionAt'; ts: number }
  | { type: 'pick'; row: RowSpec; t: number; tolerance: number }
  | { type: 'search'; text: string; from: number; dir: 1 | -1 }
  | { type: 'details'; index: number }
  | { type: 'tasks' }
  | { type: 'stats' };

export interface Progress {
  type: 'progress';
  done: number;
  total: number;
  events: number;
}

/** utp view --live's status (GET live/status). */
/** The answer to liveAppend. */
export interface LiveAppend {
  /** The model now (undefined: nothing new). */
  summary: Summary | undefined;
  /** Events appended by this call, and append calls that grew the model so far. */
  appended: number;
  appends: number;
  /** Sub-buffers received so far. */
  pages: number;
  /** The recording stopped (no more pages): what was received is all in the model. */
  stopped: boolean;
}

export interface LiveStatus {
  state: 'starting' | 'recording' | 'saving' | 'saved' | 'failed';
  output: string;
  /** Events the kernel counted so far (read + still in the buffers). */
  events: number;
  /** The kernel's lost events (overrun + dropped) so far. */
  lost: number;
  cpus: Array<{ cpu: number; events: number; lost: number }>;
}
