import { describe, expect, it } from "vitest";
import { EMPTY_VIEW, applyEvent, appendProbe, badgeParts, probeColumns, short } from "../src/trainingView";

const probe = (edge: string, step: number[], std: boolean) => ({
  event: "probe" as const, edge, step, labels: ["[0]", "[1]"],
  mean: step.map((s) => [s, -s]), std: step.map(() => (std ? [1, 2] : null)),
});

describe("training shown on the graph", () => {
  it("marks nodes without gradient and detached edges with their reason", () => {
    const v = applyEvent(EMPTY_VIEW, {
      event: "grad_check", step: 0, no_grad: { mlp: ["net.0.weight"] },
      detached: [{ edge: "cut.out->add.a", reason: "no gradient flows back along cut.out" }],
    }, new Set());
    expect(v.noGrad.mlp).toEqual(["net.0.weight"]);
    expect(v.detached["cut.out->add.a"]).toContain("cut.out");
    // a new run clears the check but keeps the probes, emptied
    const p = applyEvent(v, probe("a.out->b.x", [1, 2], true), new Set(["a.out->b.x"]));
    const fresh = applyEvent(p, { event: "reset_metrics" }, new Set(["a.out->b.x"]));
    expect(fresh.detached).toEqual({});
    expect(fresh.probes["a.out->b.x"].step).toEqual([]);
  });

  it("keeps each node's newest link matrix, and a new run clears them", () => {
    const m = (k: number) => ({ values: [[0.5, 0.1]], mask: [[1, k]] });
    let v = applyEvent(EMPTY_VIEW, { event: "link_matrix", step: 3, nodes: { dmm: m(1) } }, new Set());
    v = applyEvent(v, { event: "link_matrix", step: 9, nodes: { dmm: m(0), other: m(1) } }, new Set());
    expect(v.links.dmm.mask).toEqual([[1, 0]]);
    expect(Object.keys(v.links).sort()).toEqual(["dmm", "other"]);
    expect(applyEvent(v, { event: "reset_metrics" }, new Set()).links).toEqual({});
  });

  it("grows a probe's series, bounded, and drops samples of removed probes", () => {
    let s = appendProbe(undefined, probe("e", [0, 5], true));
    s = appendProbe(s, probe("e", [10, 15], true));
    expect(s.step).toEqual([0, 5, 10, 15]);
    const many = appendProbe(s, probe("e", Array.from({ length: 500 }, (_, i) => 20 + i), false), 100);
    expect(many.step.length).toBe(100);
    expect(many.step.at(-1)).toBe(519);
    const v = applyEvent(EMPTY_VIEW, probe("gone", [1], false), new Set());
    expect(v).toBe(EMPTY_VIEW);
  });

  it("gives a band per component when std is known, a line otherwise", () => {
    const s = appendProbe(undefined, probe("e", [0, 1], true));
    const cols = probeColumns(s);
    expect(cols.length).toBe(1 + 2 * 3);
    expect(cols[1]).toEqual([0, 1]);
    expect(cols[2]).toEqual([-1, 0]);
    expect(cols[3]).toEqual([1, 2]);
    expect(probeColumns(appendProbe(undefined, probe("e", [0, 1], false))).length).toBe(3);
  });

  it("writes badges short", () => {
    expect(short(0.123456)).toBe("0.12");
    expect(short(0.00031)).toBe("3.1e-4");
    expect(short(12345)).toBe("1.2e4");
    expect(short(null)).toBe("-");
    expect(badgeParts({ mean: 0.5, std: 1, grad_norm: 0.002, nfe: 26 }))
      .toEqual([["\u03bc", "0.5"], ["\u03c3", "1"], ["|\u2207|", "2.0e-3"], ["nfe", "26"]]);
  });
});
