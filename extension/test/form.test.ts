import { describe, expect, it } from "vitest";
import { trainingForm } from "../src/workbench/form";
import STARTER from "../src/lab/starter.json";
import type { BlockSpec, GraphDoc } from "../src/types";

// the catalog's roles, as the kernel sends them (blocks/base.py `role`)
const spec = (type: string, role: BlockSpec["role"]) => ({ type, role }) as BlockSpec;
const SPECS = new Map([
  ["Input", spec("Input", "input")], ["Output", spec("Output", "output")],
  ["Optimizer", spec("Optimizer", "optimizer")], ["MLP", spec("MLP", null)],
]);

describe("the Training panel's rows, from the document", () => {
  it("reads the new document's input, output and optimizer before any kernel answers", () => {
    expect(trainingForm(STARTER as unknown as GraphDoc, SPECS)).toEqual({
      inputs: ["x"], outputs: ["y"], optimizers: [{ id: "optim", kind: "adam", label: null }],
    });
  });
  it("takes names from the nodes' params in document order, labels, and skips unnamed nodes", () => {
    const node = (id: string, type: string, params: Record<string, unknown>, label?: string) =>
      ({ id, type, params, position: [0, 0] as [number, number], ...(label ? { label } : {}) });
    const doc: GraphDoc = { nodes: [
      node("b", "Input", { name: "u" }), node("a", "Input", { name: "t" }), node("c", "Input", {}),
      node("o", "Output", { name: "y" }), node("opt2", "Optimizer", { kind: "lbfgs" }, "polish"),
      node("m", "MLP", { name: "not an input" }), node("q", "Unknown", { name: "z" }),
    ], edges: [] };
    expect(trainingForm(doc, SPECS)).toEqual({
      inputs: ["u", "t"], outputs: ["y"], optimizers: [{ id: "opt2", kind: "lbfgs", label: "polish" }],
    });
  });
  it("is empty until the catalog has come", () => {
    expect(trainingForm(STARTER as unknown as GraphDoc, new Map())).toEqual({ inputs: [], outputs: [], optimizers: [] });
  });
});
