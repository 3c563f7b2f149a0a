import { describe, expect, it } from "vitest";
import { compatibleBlocks } from "../src/hooks/useQuickAdd";
import { firstLine, searchBlocks } from "../src/components/BlockSearch";
import { catalog } from "./fixtures";

describe("compatibleBlocks", () => {
  it("lists blocks with an input that takes the dragged output's kind, with that port", () => {
    const fit = compatibleBlocks(catalog, "tensor", "source");
    expect([...fit.keys()].sort()).toEqual(["Compare", "Loop", "MLP"]);
    expect(fit.get("Compare")).toBe("a");
    expect(fit.has("Input")).toBe(false); // no inputs at all
  });

  it("lists blocks whose output a dragged input accepts", () => {
    const fit = compatibleBlocks(catalog, "tensor", "target");
    expect(fit.has("Compare")).toBe(false); // its output is bool
    expect(fit.get("Input")).toBe("out");
    expect([...compatibleBlocks(catalog, "bool", "target").keys()]).toEqual(["Compare"]);
  });
});

describe("searchBlocks", () => {
  const blocks = [
    { ...catalog.blocks[0], type: "Map", doc: "A scan: an RNN built from blocks." },
    { ...catalog.blocks[0], type: "Linear", doc: "An affine map y = x W^T + b." },
    { ...catalog.blocks[0], type: "MLP", doc: "A multilayer perceptron." },
  ];
  it("puts name matches before doc matches", () => {
    expect(searchBlocks(blocks, "map").map((b) => b.type)).toEqual(["Map", "Linear"]);
    expect(searchBlocks(blocks, "rnn").map((b) => b.type)).toEqual(["Map"]);
    expect(searchBlocks(blocks, " ").length).toBe(3);
  });
  it("shows a doc's first sentence", () => {
    expect(firstLine("A scan: an RNN built\n from blocks. More.")).toBe("A scan: an RNN built from blocks.");
    expect(firstLine("y = f(x)")).toBe("y = f(x)");
  });
});
