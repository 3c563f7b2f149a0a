import { describe, expect, it } from "vitest";
import { setParamAt } from "../src/graph";
import type { GraphDoc } from "../src/types";
import { cell, figurePoints, fmt, fractionSeries, logRange, markedIn, num, parseFractions, type AblationRow } from "../src/workbench/ablation";

const row = (variant: string, fraction: number, e2: unknown, e10: unknown): AblationRow => ({
  variant, kind: "ude", fraction, n: 3, failures: 0, reasons: [],
  extrap2x_rmse: e2, extrap2x_rmse_lo: e2, extrap2x_rmse_hi: e2,
  extrap10x_rmse: e10, extrap10x_rmse_lo: 0.5, extrap10x_rmse_hi: "inf",
});

describe("ablation results", () => {
  it("reads the kernel's non-finite numbers", () => {
    expect(num("inf")).toBe(Infinity);
    expect(Number.isNaN(num("nan"))).toBe(true);
    expect(fmt("inf")).toBe("diverged");
    expect(fmt("nan")).toBe("-");
    expect(fmt(0.012345)).toBe("0.0123");
    expect(fmt(12)).toBe("12");
    expect(fmt("wrong term")).toBe("wrong term");
  });

  it("shows the spread over seeds as best to worst", () => {
    expect(cell(row("a", 1, 0.1, 2), "extrap10x_rmse_spread")).toBe("0.5 – diverged");
    expect(cell(row("a", 1, "nan", 2), "extrap2x_rmse_spread")).toBe("-");
  });

  it("draws the largest data fraction, both horizons", () => {
    const pts = figurePoints([row("a", 0.5, 9, 9), row("a", 1, 0.1, 2), row("b", 1, "inf", "inf")]);
    expect(pts.map((p) => [p.variant, p.horizon, p.median])).toEqual([
      ["a", "extrap2x_rmse", 0.1], ["a", "extrap10x_rmse", 2],
      ["b", "extrap2x_rmse", Infinity], ["b", "extrap10x_rmse", Infinity]]);
    expect(logRange([0.1, 2, Infinity, NaN, 0])).toEqual([-1, 1]);
    expect(logRange([Infinity])).toBeNull();
  });

  it("gives error vs data fraction per variant, leaving out diverged points", () => {
    const s = fractionSeries([
      { ...row("a", 1, 1, 1), interp_rmse: 0.2 }, { ...row("a", 0.5, 1, 1), interp_rmse: 0.4 },
      { ...row("b", 0.5, 1, 1), interp_rmse: "inf" }, { ...row("b", 1, 1, 1), interp_rmse: 0.3 }]);
    expect(s).toEqual([{ variant: "a", points: [[0.5, 0.4], [1, 0.2]] }, { variant: "b", points: [[1, 0.3]] }]);
  });

  it("checks data fractions", () => {
    expect(parseFractions("0.25, 0.5 1")).toEqual([0.25, 0.5, 1]);
    expect(parseFractions("0, 1")).toBeNull();
    expect(parseFractions("")).toBeNull();
  });
});

describe("setParamAt", () => {
  it("sets a param of a node inside a body, leaving the rest", () => {
    const field: GraphDoc = { nodes: [{ id: "known", type: "Expression", params: { expr: "y" }, position: [0, 0] }], edges: [] };
    const doc: GraphDoc = { nodes: [{ id: "solve", type: "ODESolve", params: {}, position: [0, 0], body: { field } }], edges: [] };
    const next = setParamAt(doc, "solve/field/known", "ablatable", true);
    expect(next.nodes[0].body!.field.nodes[0].params).toEqual({ expr: "y", ablatable: true });
    expect(doc.nodes[0].body!.field.nodes[0].params).toEqual({ expr: "y" });
    expect(setParamAt(doc, "solve", "method", "rk4").nodes[0].params).toEqual({ method: "rk4" });
    expect(markedIn(next, "solve/field/known")).toBe(true);
    expect(markedIn(doc, "solve/field/known")).toBe(false);
    expect(markedIn(doc, "solve/field/nowhere")).toBeUndefined();
  });
});
