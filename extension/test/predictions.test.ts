import { describe, expect, it } from "vitest";
import { predictionPlot } from "../src/predictions";

const ev = { event: "predictions" as const, x: [0, 1, 2], y_true: [[1, 2], [3, 4], [5, 6]], y_pred: [[1.5, 2], [3, 4.5], [5, 6]], step: 3 };

describe("predictions plot", () => {
  it("draws data and model against the first input for ordinary graphs", () => {
    const p = predictionPlot(ev);
    expect(p.data.map((d) => d.name)).toEqual(["data 0", "model 0", "data 1", "model 1"]);
    expect(p.data[1].x).toEqual([0, 1, 2]);
    expect(p.data[1].y).toEqual([1.5, 3, 5]);
    expect(p.data.some((d) => d.xaxis === "x2")).toBe(false);
  });

  it("draws trajectories over time and a phase portrait for ODE graphs", () => {
    const p = predictionPlot({ ...ev, kind: "ode", t: [0, 0.1, 0.2] });
    const overTime = p.data.filter((d) => d.xaxis === "x");
    expect(overTime).toHaveLength(4);
    expect(overTime[0].x).toEqual([0, 0.1, 0.2]);
    expect(overTime[2].y).toEqual([2, 4, 6]);
    const phase = p.data.filter((d) => d.xaxis === "x2");
    expect(phase.map((d) => d.name)).toEqual(["data phase", "model phase"]);
    expect(phase[1].x).toEqual([1.5, 3, 5]);
    expect(phase[1].y).toEqual([2, 4.5, 6]);
    expect(p.layout.xaxis2).toBeDefined();
  });

  it("has no phase portrait for a single state", () => {
    const p = predictionPlot({ ...ev, kind: "ode", t: [0, 1, 2], y_true: [[1], [2], [3]], y_pred: [[1], [2], [3]] });
    expect(p.data.every((d) => d.xaxis === "x")).toBe(true);
    expect(p.layout.xaxis2).toBeUndefined();
  });
});
