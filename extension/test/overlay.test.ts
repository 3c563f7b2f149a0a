import { describe, expect, it } from "vitest";
import { columnsOf, ema, lineData, overlaysOf, plotLines } from "../src/plot/overlay";
import type { Envelope } from "../src/plot/series";

const env = (x: number[], y: number[]): Envelope => ({ x, y, lo: y.map((v) => v - 0.1), hi: y.map((v) => v + 0.1) });
const PAL = ["#111111", "#222222"];

describe("debiased EMA (TensorBoard's smoothing)", () => {
  it("weight 0 is the raw curve", () => {
    expect(ema([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });

  it("the first point is itself, not pulled towards zero", () => {
    const s = ema([10, 10, 10], 0.9);
    for (const v of s) expect(v).toBeCloseTo(10, 12);
  });

  it("matches the formula, and gaps stay gaps without counting", () => {
    const w = 0.5;
    const s = ema([4, null, 2, Number.NaN, 0], w);
    // acc: 2, then 2*0.5+0.5*2 = 2, then 1; debias 1-0.5, 1-0.25, 1-0.125
    expect(s[0]).toBeCloseTo(4);
    expect(s[1]).toBeNull();
    expect(s[2]).toBeCloseTo(2 / 0.75);
    expect(s[3]).toBeNull();
    expect(s[4]).toBeCloseTo(1 / 0.875);
  });

  it("smooths noise: a zig-zag's smoothed spread is far smaller than its raw spread", () => {
    const raw = Array.from({ length: 200 }, (_, i) => 1 + (i % 2 ? 0.5 : -0.5));
    const s = ema(raw, 0.9).slice(50) as number[];
    expect(Math.max(...s) - Math.min(...s)).toBeLessThan(0.2);
  });
});

describe("overlaid runs", () => {
  const ev = {
    runs: {
      a: { loss: { step: [0, 1, 2], value: [1, 0.5, 0.25] }, val_loss: { step: [2], value: [0.3] }, lr: { step: [0], value: [0.01] } },
      b: { loss: { step: [0, 1], value: [2, 1] } },
    },
    colors: { a: "#4e79a7", b: "#f28e2b" },
    names: { a: "small", b: "run 2" },
  };

  it("the event gives each run its table colour and name", () => {
    const o = overlaysOf(ev);
    expect(o.map((r) => [r.id, r.name, r.color])).toEqual([["a", "small", "#4e79a7"], ["b", "run 2", "#f28e2b"]]);
  });

  it("nothing selected: the current run as the live panel always drew it", () => {
    const ls = plotLines(new Map([["val_loss", env([5], [1])], ["loss", env([0, 5], [2, 1])]]), "cur", [], PAL);
    expect(ls.map((l) => [l.label, l.color, l.band])).toEqual([["loss", "#111111", true], ["validation loss", "#222222", true]]);
  });

  it("selected runs: one colour per run in every line, loss and validation loss, lr left out", () => {
    const ls = plotLines(new Map(), null, overlaysOf(ev), PAL);
    expect(ls.map((l) => [l.label, l.color, l.run])).toEqual([
      ["small loss", "#4e79a7", "a"], ["small validation loss", "#4e79a7", "a"], ["run 2 loss", "#f28e2b", "b"]]);
  });

  it("the current run among them is drawn from its live stream, in its colour", () => {
    const live = env([3, 4], [0.2, 0.1]);
    const ls = plotLines(new Map([["loss", live]]), "b", overlaysOf(ev), PAL);
    const mine = ls.filter((l) => l.run === "b");
    expect(mine).toHaveLength(1);
    expect(mine[0].env).toBe(live);
    expect(mine[0].color).toBe("#f28e2b");
    expect(mine[0].band).toBe(true);
  });

  it("a fork and its parent overlay live: the parent's kept curve, the fork's stream after it", () => {
    const parent = { parent: { loss: { step: [0, 50, 100], value: [1, 0.5, 0.3] } } };
    const o = overlaysOf({ runs: { ...parent, fork: {} }, colors: { parent: "#4e79a7", fork: "#f28e2b" }, names: { parent: "run 1", fork: "run 2" } });
    const ls = plotLines(new Map([["loss", env([100, 101, 102], [0.3, 0.29, 0.28])]]), "fork", o, PAL);
    expect(ls.map((l) => l.label)).toEqual(["run 1 loss", "run 2 loss"]);
    const data = lineData(ls, 0);
    expect(data[0]).toEqual([0, 50, 100, 101, 102]);
    const at = columnsOf(ls);
    expect(data[at[0]]).toEqual([1, 0.5, 0.3, null, null]);
    expect(data[at[1]]).toEqual([null, null, 0.3, 0.29, 0.28]);
  });

  it("a current run nobody selected stays, in a neutral colour", () => {
    const ls = plotLines(new Map([["loss", env([0], [1])]]), "zzz", overlaysOf(ev), PAL, "#888888");
    expect(ls[0]).toMatchObject({ label: "current run loss", color: "#888888", run: null });
    expect(ls).toHaveLength(4);
  });

  it("a selected current run with no points here (a reloaded page) falls back to its kept curve", () => {
    const ls = plotLines(new Map(), "a", overlaysOf(ev), PAL);
    expect(ls.filter((l) => l.run === "a").map((l) => l.band)).toEqual([false, false]);
  });

  it("smoothing applies to overlaid runs; the raw values stay beside the smoothed ones", () => {
    const ls = plotLines(new Map(), null, overlaysOf(ev), PAL);
    const data = lineData(ls, 0.5);
    const at = columnsOf(ls);
    const smooth = (data[at[0]] as (number | null)[]).filter((v) => v !== null) as number[];
    const raw = (data[at[0] + 1] as (number | null)[]).filter((v) => v !== null);
    expect(raw).toEqual([1, 0.5, 0.25]);
    expect(smooth[0]).toBeCloseTo(1);
    expect(smooth[2]).toBeGreaterThan(0.25); // the EMA lags behind a falling curve
  });

  it("a log axis drops values <= 0 after smoothing", () => {
    const ls = plotLines(new Map([["loss", env([0, 1], [1, 0])]]), null, [], PAL);
    const data = lineData(ls, 0, (v) => (v !== null && v > 0 ? v : null));
    expect(data[1]).toEqual([1, null]);
  });

  it("columns: four per line with an envelope, two without", () => {
    const ls = plotLines(new Map([["loss", env([0], [1])]]), "a", overlaysOf(ev), PAL);
    expect(columnsOf(ls)).toEqual([1, 5, 7]);
    expect(lineData(ls, 0).length).toBe(1 + 4 + 2 + 2);
  });
});
