import { describe, expect, it } from "vitest";
import { predictionPlots } from "../src/predictions";

const ev = { event: "predictions" as const, x: [0, 1, 2], y_true: [[1, 2], [3, 4], [5, 6]], y_pred: [[1.5, 2], [3, 4.5], [5, 6]], step: 3, output: "y", input: "x" };

describe("predictions plot", () => {
  it("draws data and model against the first input, named after the output", () => {
    const [p, ...rest] = predictionPlots(ev);
    expect(rest).toHaveLength(0);
    expect(p.series.map((s) => s.label)).toEqual(["y[0] data", "y[0] model", "y[1] data", "y[1] model"]);
    expect(p.series.map((s) => s.kind)).toEqual(["points", "line", "points", "line"]);
    expect(p.xLabel).toBe("x");
    expect(p.yLabel).toBe("y");
    expect(p.data[0]).toEqual([0, 1, 2]);
    expect(p.data[2]).toEqual([1.5, 3, 5]);
  });

  it("names a one-dimensional output without an index", () => {
    const [p] = predictionPlots({ ...ev, y_true: [[1], [2], [3]], y_pred: [[1], [2], [3]] });
    expect(p.series.map((s) => s.label)).toEqual(["y data", "y model"]);
  });

  it("draws trajectories over time and a phase portrait for ODE graphs", () => {
    const [traj, phase] = predictionPlots({ ...ev, kind: "ode", t: [0, 0.1, 0.2], input: "t" });
    expect(traj.id).toBe("trajectories");
    expect(traj.data[0]).toEqual([0, 0.1, 0.2]);
    expect(traj.data[3]).toEqual([2, 4, 6]);
    expect(traj.xLabel).toBe("t");
    expect(phase.mode).toBe(2);
    expect(phase.series.map((s) => s.label)).toEqual(["y data", "y model"]);
    expect(phase.data[2]).toEqual([[1.5, 3, 5], [2, 4.5, 6]]);
    expect([phase.xLabel, phase.yLabel]).toEqual(["y[0]", "y[1]"]);
  });

  it("has no phase portrait for a single state", () => {
    const plots = predictionPlots({ ...ev, kind: "ode", t: [0, 1, 2], y_true: [[1], [2], [3]], y_pred: [[1], [2], [3]] });
    expect(plots.map((p) => p.id)).toEqual(["trajectories"]);
  });
});
