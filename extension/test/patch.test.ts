import { describe, expect, it } from "vitest";
import * as G from "../src/graph";
import { applyPatch, docPatch } from "../src/patch";
import type { GraphDoc } from "../src/types";
import { chain, spec } from "./fixtures";

/** a chain long enough that one edit is a small part of it */
function long(n = 10): GraphDoc {
  let g = chain();
  for (let i = 0; i < n; i++) g = G.addNode(g, spec("MLP"), [0, 100 * i]).graph;
  return g;
}

describe("canvas writes as patches", () => {
  it("sends only the node whose param changed", () => {
    const base = long();
    const next = G.setParam(base, "mlp", "widths", [2, 8, 2]);
    const p = docPatch(base, next)!;
    expect(p.nodes.map((n) => n.id)).toEqual(["mlp"]);
    expect(p.order).toBeUndefined();
    expect(p.edges).toBeUndefined();
    expect(applyPatch(base, p)).toEqual(next);
  });

  it("sends the order and the edges when nodes come and go", () => {
    const base = long();
    const added = G.addNode(base, spec("MLP"), [5, 5]);
    const p = docPatch(base, added.graph)!;
    expect(p.nodes.map((n) => n.id)).toEqual([added.id]);
    expect(p.order).toEqual(added.graph.nodes.map((n) => n.id));
    expect(applyPatch(base, p)).toEqual(added.graph);
    const removed = G.removeNodes(base, ["mlp"]);
    const q = docPatch(base, removed)!;
    expect(q.nodes).toEqual([]);
    expect(q.order).not.toContain("mlp");
    expect(q.edges).toEqual(removed.edges);
    expect(applyPatch(base, q)).toEqual(removed);
  });

  it("sends a body edit as the node that owns the body", () => {
    const base = G.addNode(long(), spec("Loop"), [0, 0]);
    const next = G.updateAt(base.graph, [{ node: base.id, body: "body" }],
      (g) => G.addNode(g, spec("MLP"), [1, 1]).graph);
    const p = docPatch(base.graph, next)!;
    expect(p.nodes.map((n) => n.id)).toEqual([base.id]);
    expect(applyPatch(base.graph, p)).toEqual(next);
  });

  it("sends the whole document when most of it changed, or with no base", () => {
    const base = long();
    const moved = G.moveNodes(base, Object.fromEntries(base.nodes.map((n, i) => [n.id, [i, i] as [number, number]])));
    expect(docPatch(base, moved)).toBeNull();
    expect(docPatch(undefined, base)).toBeNull();
    expect(docPatch({ ...base, format: "diffwire/0" }, base)).toBeNull();
  });

  it("refuses a patch that names a node the base lacks", () => {
    expect(() => applyPatch(chain(), { nodes: [], order: ["ghost"] })).toThrow(/ghost/);
  });
});
