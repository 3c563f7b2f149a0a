import { describe, expect, it } from "vitest";
import * as S from "../src/workbench/section";
import type { GraphErrorInfo } from "../src/types";

const err = (port: string): GraphErrorInfo => ({
  code: "param", severity: "error", node: null, port, message: "m", expected: null, found: null, hint: null, text: `${port}: m`,
});

describe("training section edits", () => {
  it("binds and unbinds data without touching the rest", () => {
    const s0 = { steps: 100 };
    const s1 = S.setBinding(s0, "x", { source: "generator", name: "sine", kwargs: { n: 64 } });
    expect(s1).toEqual({ steps: 100, data: { x: { source: "generator", name: "sine", kwargs: { n: 64 } } } });
    expect(s0).toEqual({ steps: 100 });  // a new object: one undo step, the old one intact
    const s2 = S.setBinding(s1, "y", { source: "file", path: "d.csv", columns: ["y"] });
    expect(Object.keys(S.bindings(s2))).toEqual(["x", "y"]);
    expect(S.setBinding(S.setBinding(s2, "x", null), "y", null)).toEqual({ steps: 100 });
  });
  it("reads a bare string as a kernel variable", () => {
    expect(S.bindings({ data: { x: "X" } })).toEqual({ x: { source: "kernel", name: "X" } });
    expect(S.bindings({ data: 3 })).toEqual({});
  });
  it("sets and clears plain settings", () => {
    expect(S.setField({ steps: 1 }, "steps", 500)).toEqual({ steps: 500 });
    expect(S.setField({ steps: 1 }, "steps", undefined)).toEqual({});
    expect(S.setField(undefined, "batch_size", null)).toEqual({ batch_size: null });
  });
  it("pairs outputs with targets, in the graph's output order", () => {
    const outs = ["y", "z"];
    expect(S.lossTerms({ loss: "l1" }, outs)).toEqual([{ output: "y", target: "y", fn: "l1" }, { output: "z", target: "z", fn: "l1" }]);
    let s = S.setLossPair(undefined, outs, "z", "z_data", "mse");
    s = S.setLossPair(s, outs, "y", "y", "huber");
    expect(s.loss).toEqual([{ output: "y", target: "y", fn: "huber" }, { output: "z", target: "z_data", fn: "mse" }]);
    s = S.setLossPair(s, outs, "y", null, "mse");
    expect(s.loss).toEqual([{ output: "z", target: "z_data", fn: "mse" }]);
    expect(S.setLossPair(s, outs, "z", null, "mse")).toEqual({});
  });
  it("writes one open-ended phase as `optimizer`, several as a schedule", () => {
    expect(S.setPhases({ optimizer: "old" }, [{ optimizer: "adam1" }])).toEqual({ optimizer: "adam1" });
    const two = S.setPhases({ optimizer: "adam1" }, [{ optimizer: "adam1", steps: 200 }, { optimizer: "lbfgs1", steps: null }]);
    expect(two).toEqual({ schedule: [{ optimizer: "adam1", steps: 200 }, { optimizer: "lbfgs1" }] });
    expect(S.phases(two)).toEqual([{ optimizer: "adam1", steps: 200 }, { optimizer: "lbfgs1" }]);
    expect(S.phases({ optimizer: "o" })).toEqual([{ optimizer: "o" }]);
    expect(S.setPhases(two, [])).toEqual({});
  });
  it("lists inputs then targets once each", () => {
    const s = { data: { x: { source: "kernel", name: "X" }, t: { source: "kernel", name: "T" } }, loss: [{ output: "y", target: "y_obs" }] };
    expect(S.dataNames(s, ["x"], ["y"])).toEqual([
      { name: "x", role: "input" }, { name: "y", role: "target" }, { name: "t", role: "target" }, { name: "y_obs", role: "target" }]);
  });
  it("puts the kernel's errors on the field they name", () => {
    const errors = [err("training.data.x.kwargs.n"), err("training.steps"), err("training.data.xx"), err("training")];
    expect(S.errorsAt(errors, "data.x").map((e) => e.port)).toEqual(["training.data.x.kwargs.n"]);
    expect(S.errorsAt(errors, "steps")).toHaveLength(1);
    expect(S.unplacedErrors(errors, ["data.x", "data.xx", "steps"]).map((e) => e.port)).toEqual(["training"]);
  });
  it("maps CSV columns to a binding; no column, no binding", () => {
    expect(S.csvBinding("d.csv", ["a", "b"])).toEqual({ source: "file", path: "d.csv", columns: ["a", "b"] });
    expect(S.csvBinding("d.csv", ["t"], false)).toEqual({ source: "file", path: "d.csv", columns: ["t"], batch: false });
    expect(S.csvBinding("d.csv", [])).toBeNull();
  });
});
