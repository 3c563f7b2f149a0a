// One metric of a run, the whole of it in bounded memory: old points fold into at most
// `buckets` buckets (mean, min, max of a run of consecutive points; the run length doubles
// when the buckets are full, so the first step stays on the plot whatever the run's length),
// and the newest `tail` points stay at full resolution. What W&B draws (about 1,500 points a
// series with a min/max envelope); the kernel has every step for a zoom (the `history`
// command).

export interface Envelope { x: number[]; y: number[]; lo: number[]; hi: number[] }

export class DownsampledSeries {
  /** per bucket: sum of x, sum of y, min, max, count */
  private bx: number[] = [];
  private by: number[] = [];
  private bmin: number[] = [];
  private bmax: number[] = [];
  private bn: number[] = [];
  private bfirst: number[] = [];
  private blast: number[] = [];
  private width = 1;
  private rx: number[] = [];
  private ry: number[] = [];
  /** points added since the last reset */
  count = 0;
  /** the first point since the last reset, exactly: buckets are drawn at their mean x, and
   * the plot must still start at the run's first step (`whole`) */
  start: [number, number] | null = null;

  constructor(readonly buckets = 1000, readonly tail = 500) {
    if (buckets < 2 || buckets % 2) throw new Error("buckets must be an even number >= 2");
  }

  add(x: number, y: number) {
    if (this.start === null) this.start = [x, y];
    this.count++;
    this.rx.push(x);
    this.ry.push(y);
    if (this.rx.length > 2 * this.tail) this.fold(this.rx.length - this.tail);
  }

  /** Replace everything with a summary the kernel made (buckets of the whole run so far). */
  seed(e: Envelope & { n: number[]; first: number[]; last: number[]; x0?: number; y0?: number }, count: number) {
    this.reset();
    if (e.x0 !== undefined && e.y0 !== undefined) this.start = [e.x0, e.y0];
    for (let i = 0; i < e.x.length; i++) this.push(e.x[i], e.y[i], e.lo[i], e.hi[i], e.n[i], e.first[i], e.last[i]);
    this.count = count;
    this.width = Math.max(1, ...e.n);
  }

  reset() {
    this.bx = []; this.by = []; this.bmin = []; this.bmax = []; this.bn = []; this.bfirst = []; this.blast = [];
    this.rx = []; this.ry = []; this.width = 1; this.count = 0; this.start = null;
  }

  /** the x of the newest point, or -Infinity */
  get last(): number { return this.rx.length ? this.rx[this.rx.length - 1] : this.bx.length ? this.bx[this.bx.length - 1] / this.bn[this.bn.length - 1] : -Infinity; }

  /** whether every point in [a, b] is drawn at full resolution */
  exact(a: number, b: number): boolean {
    for (let i = 0; i < this.bn.length; i++) {
      if (this.bn[i] > 1 && this.blast[i] >= a && this.bfirst[i] <= b) return false;
    }
    return true;
  }

  view(): Envelope {
    const x: number[] = [], y: number[] = [], lo: number[] = [], hi: number[] = [];
    for (let i = 0; i < this.bn.length; i++) {
      x.push(this.bx[i] / this.bn[i]); y.push(this.by[i] / this.bn[i]); lo.push(this.bmin[i]); hi.push(this.bmax[i]);
    }
    for (let i = 0; i < this.rx.length; i++) { x.push(this.rx[i]); y.push(this.ry[i]); lo.push(this.ry[i]); hi.push(this.ry[i]); }
    return { x, y, lo, hi };
  }

  /** `view()` with the first point in front where a bucket's mean would hide where the
   * run began: what the whole-run plot draws */
  whole(): Envelope {
    const v = this.view();
    if (this.start && v.x.length && v.x[0] > this.start[0]) {
      const [x, y] = this.start;
      v.x.unshift(x); v.y.unshift(y); v.lo.unshift(y); v.hi.unshift(y);
    }
    return v;
  }

  /** how many points the view holds (bounded by buckets + 2 * tail) */
  get size(): number { return this.bn.length + this.rx.length; }

  private fold(k: number) {
    for (let i = 0; i < k; i++) {
      const x = this.rx[i], y = this.ry[i];
      const j = this.bn.length - 1;
      if (j >= 0 && this.bn[j] < this.width) {
        this.bx[j] += x; this.by[j] += y; this.bn[j]++; this.blast[j] = x;
        if (y < this.bmin[j]) this.bmin[j] = y;
        if (y > this.bmax[j]) this.bmax[j] = y;
      } else this.push(x, y, y, y, 1, x, x);
    }
    this.rx.splice(0, k);
    this.ry.splice(0, k);
  }

  private push(x: number, y: number, lo: number, hi: number, n: number, first: number, last: number) {
    if (this.bn.length >= this.buckets) this.halve();
    this.bx.push(x * n); this.by.push(y * n); this.bmin.push(lo); this.bmax.push(hi); this.bn.push(n);
    this.bfirst.push(first); this.blast.push(last);
  }

  /** merge neighbouring buckets: half as many, each twice as long */
  private halve() {
    const m = Math.floor(this.bn.length / 2);
    for (let i = 0; i < m; i++) {
      const a = 2 * i, b = a + 1;
      this.bx[i] = this.bx[a] + this.bx[b];
      this.by[i] = this.by[a] + this.by[b];
      this.bmin[i] = Math.min(this.bmin[a], this.bmin[b]);
      this.bmax[i] = Math.max(this.bmax[a], this.bmax[b]);
      this.bn[i] = this.bn[a] + this.bn[b];
      this.bfirst[i] = this.bfirst[a];
      this.blast[i] = this.blast[b];
    }
    const odd = this.bn.length % 2;
    for (const arr of [this.bx, this.by, this.bmin, this.bmax, this.bn, this.bfirst, this.blast]) {
      if (odd) arr[m] = arr[arr.length - 1];
      arr.length = m + odd;
    }
    this.width *= 2;
  }
}

/** Series on one x axis, for uPlot: the union of their x values, each series' values at
 * them (null where a series has no point). Inputs sorted by x. */
export function align(xs: number[][], ys: (number | null)[][][]): [number[], ...(number | null)[][]] {
  const ux: number[] = [];
  const idx = xs.map(() => 0);
  for (;;) {
    let m = Infinity;
    for (let s = 0; s < xs.length; s++) if (idx[s] < xs[s].length && xs[s][idx[s]] < m) m = xs[s][idx[s]];
    if (m === Infinity) break;
    ux.push(m);
    for (let s = 0; s < xs.length; s++) while (idx[s] < xs[s].length && xs[s][idx[s]] === m) idx[s]++;
  }
  const out: (number | null)[][] = [];
  xs.forEach((x, s) => {
    for (const col of ys[s]) {
      const v: (number | null)[] = new Array(ux.length).fill(null);
      let j = 0;
      for (let i = 0; i < x.length; i++) {
        while (ux[j] < x[i]) j++;
        v[j] = col[i];
      }
      out.push(v);
    }
  });
  return [ux, ...out];
}
