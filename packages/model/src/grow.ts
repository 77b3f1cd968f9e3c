/** Growable typed arrays (doubling), for appendable columns. */
function grown<T extends Float64Array | Int32Array | Uint8Array | Uint16Array>(a: T, need: number, make: (n: number) => T): T {
  let n = a.length || 1024;
  while (n < need) n *= 2;
  const b = make(n);
  b.set(a as never);
  return b;
}

export class GrowF64 {
  data: Float64Array;
  length = 0;
  constructor(cap = 1024) {
    this.data = new Float64Array(cap);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.length + 1, (n) => new Float64Array(n));
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  /** A view of the filled part. */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  trim(): void {
    if (this.data.length > this.length) this.data = this.data.slice(0, this.length);
  }
}

export class GrowI32 {
  data: Int32Array;
  length = 0;
  constructor(cap = 1024) {
    this.data = new Int32Array(cap);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.length + 1, (n) => new Int32Array(n));
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  set(i: number, v: number): void {
    this.data[i] = v;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
  trim(): void {
    if (this.data.length > this.length) this.data = this.data.slice(0, this.length);
  }
}

export class GrowU8 {
  data: Uint8Array;
  length = 0;
  constructor(cap = 1024) {
    this.data = new Uint8Array(cap);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.length + 1, (n) => new Uint8Array(n));
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  view(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
  trim(): void {
    if (this.data.length > this.length) this.data = this.data.slice(0, this.length);
  }
}

export class GrowU16 {
  data: Uint16Array;
  length = 0;
  constructor(cap = 1024) {
    this.data = new Uint16Array(cap);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.length + 1, (n) => new Uint16Array(n));
    this.data[this.length++] = v;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  view(): Uint16Array {
    return this.data.subarray(0, this.length);
  }
  trim(): void {
    if (this.data.length > this.length) this.data = this.data.slice(0, this.length);
  }
}
