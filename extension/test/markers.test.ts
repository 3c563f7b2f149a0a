import { describe, expect, it } from "vitest";
import { describeMarkers, mergeMarkers } from "../src/plot/markers";

describe("markers", () => {
  it("merge once each, by step", () => {
    const a = [{ step: 10, kind: "lr", label: "lr 0.01" }];
    const b = [{ step: 5, kind: "pause", label: "pause" }, { step: 10, kind: "lr", label: "lr 0.01" },
      { step: 10, kind: "rebuild", label: "rebuild" }];
    const m = mergeMarkers(a, b);
    expect(describeMarkers(m)).toBe("pause@5,lr@10,rebuild@10");
    expect(mergeMarkers(m, b)).toHaveLength(3);
  });
});
