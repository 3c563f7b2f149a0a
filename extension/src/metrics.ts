// Metric points arrive in batches; they are queued here and handed to the plot at most
// once per animation frame, so a fast producer never builds a drawing backlog.
export interface Batch { step: number[]; values: Record<string, (number | null)[]> }

export class MetricQueue {
  private pending: Batch[] = [];
  private frame = 0;
  total = 0;
  constructor(private flush: (names: string[], x: number[][], y: (number | null)[][]) => void,
              private raf: (cb: () => void) => number = (cb) => requestAnimationFrame(cb)) {}

  add(b: Batch) {
    this.pending.push(b);
    this.total += b.step.length;
    if (!this.frame) this.frame = this.raf(() => this.drain());
  }

  drain() {
    this.frame = 0;
    const batches = this.pending;
    this.pending = [];
    const merged = new Map<string, { x: number[]; y: (number | null)[] }>();
    for (const b of batches) {
      for (const [name, ys] of Object.entries(b.values)) {
        const m = merged.get(name) ?? { x: [], y: [] };
        ys.forEach((v, i) => { if (v !== null && v !== undefined) { m.x.push(b.step[i]); m.y.push(v); } });
        merged.set(name, m);
      }
    }
    const names = [...merged.keys()].filter((n) => merged.get(n)!.x.length);
    if (names.length) this.flush(names, names.map((n) => merged.get(n)!.x), names.map((n) => merged.get(n)!.y));
  }
}
