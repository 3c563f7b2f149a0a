import { describe, expect, it } from "vitest";
import { exact, logTicks, tick } from "../src/plot/format";
import { DownsampledSeries, align } from "../src/plot/series";

describe("downsampled series", () => {
  it("keeps every point while they fit", () => {
    const s = new DownsampledSeries(8, 4);
    for (let i = 0; i < 6; i++) s.add(i, 10 - i);
    expect(s.view().x).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.exact(0, 5)).toBe(true);
  });

  it("holds a long run in bounded memory, first and newest points kept", () => {
    const s = new DownsampledSeries(100, 50);
    const n = 1_000_000;
    let min = Infinity;
    for (let i = 0; i < n; i++) { const y = 1 / (i + 1) + (i === 123_456 ? -0.5 : 0); min = Math.min(min, y); s.add(i, y); }
    const v = s.view();
    expect(s.size).toBeLessThanOrEqual(100 + 2 * 50);
    expect(s.count).toBe(n);
    expect(v.hi[0]).toBe(1); // the first step's loss is inside the first bucket's envelope
    expect(v.x[v.x.length - 1]).toBe(n - 1); // the newest point at full resolution
    expect(Math.min(...v.lo)).toBe(min); // a spike is never averaged away
    expect(v.x.every((x, i) => i === 0 || x > v.x[i - 1])).toBe(true);
    expect(s.exact(n - 40, n - 1)).toBe(true);
    expect(s.exact(0, 1000)).toBe(false);
  });

  it("the whole-run view starts at the first step, exactly", () => {
    const s = new DownsampledSeries(4, 2);
    for (let i = 0; i < 1000; i++) s.add(i + 1, 100 / (i + 1));
    expect(s.view().x[0]).toBeGreaterThan(1); // a bucket's mean step
    const w = s.whole();
    expect([w.x[0], w.y[0]]).toEqual([1, 100]);
    expect(w.x.every((x, i) => i === 0 || x > w.x[i - 1])).toBe(true);
    // seeded from the kernel's summary (a reopened view): its x0/y0
    const t = new DownsampledSeries(4, 2);
    t.seed({ x: [50.5], y: [2], lo: [1], hi: [100], n: [100], first: [1], last: [100], x0: 1, y0: 100 }, 100);
    expect(t.whole().x).toEqual([1, 50.5]);
    expect(new DownsampledSeries(4, 2).whole().x).toEqual([]);
  });

  it("bucket means are means", () => {
    const s = new DownsampledSeries(2, 1);
    for (let i = 0; i < 7; i++) s.add(i, i * 2);
    const v = s.view();
    // buckets of 0..3 and 4..5, the newest point 6 on its own (tail of 1, held up to 2)
    expect(v.x.slice(0, 2)).toEqual([1.5, 4.5]);
    expect(v.y.slice(0, 2)).toEqual([3, 9]);
    expect(v.lo.slice(0, 2)).toEqual([0, 8]);
    expect(v.hi.slice(0, 2)).toEqual([6, 10]);
  });
});

describe("align", () => {
  it("joins series on the union of their x values", () => {
    const [x, a, b] = align([[1, 2, 3], [2, 4]], [[[10, 20, 30]], [[5, 6]]]);
    expect(x).toEqual([1, 2, 3, 4]);
    expect(a).toEqual([10, 20, 30, null]);
    expect(b).toEqual([null, 5, null, 6]);
  });
});

describe("plot numbers", () => {
  it("writes ticks plainly, small ones as 1e-4 (never 100µ)", () => {
    expect(tick(0.01)).toBe("0.01");
    expect(tick(1e-4)).toBe("1e-4");
    expect(tick(2e-5)).toBe("2e-5");
    expect(tick(1500)).toBe("1500");
    expect(tick(1e6)).toBe("1e6");
    expect(tick(null)).toBe("");
  });

  it("puts log ticks on decades, or 1-2-5 inside a narrow range", () => {
    expect(logTicks(3e-5, 2)).toEqual([1e-4, 1e-3, 1e-2, 0.1, 1]);
    expect(logTicks(0.03, 0.3)).toEqual([0.05, 0.1, 0.2]);
  });

  it("shows exact values in the hover legend", () => {
    expect(exact(0.0123456789)).toBe("0.0123457");
    expect(exact(1.23456789e-5)).toBe("1.23457e-5");
    expect(exact(null)).toBe("-");
  });
});
