import { describe, expect, it } from "vitest";
import { rebuildText } from "../src/rebuild";

describe("the rebuild report", () => {
  it("names the nodes that kept their weights and those that start afresh", () => {
    expect(rebuildText({ step: 120, kept: ["x", "y"], reset: ["mlp"], removed: [], optimizer_reset: false }))
      .toBe("rebuilt at step 120: kept x, y; started afresh: mlp");
  });
  it("says when nothing was kept, what was removed and a new optimizer state", () => {
    expect(rebuildText({ step: 5, kept: [], reset: ["a"], removed: ["old"], optimizer_reset: true }))
      .toBe("rebuilt at step 5: kept no weights; started afresh: a; removed: old; new optimizer state");
  });
});
