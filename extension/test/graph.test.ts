import { describe, expect, it } from "vitest";
import * as G from "../src/graph";
import { catalog, chain, spec } from "./fixtures";

const ports = G.catalogPorts(catalog);

describe("graph edits", () => {
  it("adds a node with default params and a fresh id", () => {
    const g0 = chain();
    const a = G.addNode(g0, spec("MLP"), [10, 20]);
    expect(a.id).toBe("mlp_1");
    const n = a.graph.nodes.find((n) => n.id === "mlp_1")!;
    expect(n.params).toEqual({ widths: [2, 32, 2] });
    expect(n.position).toEqual([10, 20]);
    expect(g0.nodes).toHaveLength(3); // never mutates
  });

  it("names Input nodes by their name param", () => {
    const a = G.addNode(chain(), spec("Input"), [0, 0]);
    expect(a.id).toBe("x_1");
    expect(a.graph.nodes.at(-1)!.params.name).toBe("x_1");
  });

  it("gives body blocks empty bodies", () => {
    const a = G.addNode(chain(), spec("Loop"), [0, 0]);
    expect(a.graph.nodes.at(-1)!.body).toEqual({ body: { nodes: [], edges: [] } });
  });

  it("removes nodes with their edges", () => {
    const g = G.removeNodes(chain(), ["mlp"]);
    expect(g.nodes.map((n) => n.id)).toEqual(["x", "cmp"]);
    expect(g.edges).toEqual([]);
  });

  it("removes edges by key", () => {
    const g0 = chain();
    const g = G.removeEdges(g0, [G.edgeKey(g0.edges[0])]);
    expect(g.edges).toEqual([]);
  });

  it("moves nodes and sets params and labels", () => {
    let g = G.moveNodes(chain(), { mlp: [5, 6] });
    g = G.setParam(g, "mlp", "widths", [2, 4, 2]);
    g = G.setLabel(g, "mlp", "f");
    const n = g.nodes.find((n) => n.id === "mlp")!;
    expect(n.position).toEqual([5, 6]);
    expect(n.params.widths).toEqual([2, 4, 2]);
    expect(n.label).toBe("f");
    expect(G.setLabel(g, "mlp", null).nodes.find((n) => n.id === "mlp")!.label).toBeUndefined();
  });

  it("connects compatible ports", () => {
    const e = { source: "x", source_port: "out", target: "cmp", target_port: "a" };
    expect(G.canConnect(chain(), catalog, ports, e)).toEqual({ ok: true });
    expect(G.connect(chain(), e).edges).toHaveLength(2);
  });

  it("refuses incompatible kinds with a reason", () => {
    const e = { source: "cmp", source_port: "out", target: "mlp", target_port: "x" };
    const g = G.removeEdges(chain(), ["x.out->mlp.x"]);
    const r = G.canConnect(g, catalog, ports, e);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/bool output cannot feed a tensor input/);
  });

  it("refuses a second edge into an input, self loops, cycles and unknown ports", () => {
    const g = chain();
    const twice = G.canConnect(g, catalog, ports, { source: "x", source_port: "out", target: "mlp", target_port: "x" });
    expect(twice.ok).toBe(false);
    expect(G.canConnect(g, catalog, ports, { source: "mlp", source_port: "out", target: "mlp", target_port: "x" }).ok).toBe(false);
    const g2 = G.addNode(g, spec("MLP"), [0, 0]).graph;
    const g3 = G.connect(g2, { source: "mlp", source_port: "out", target: "mlp_1", target_port: "x" });
    const g4 = G.removeEdges(g3, ["x.out->mlp.x"]);
    const cyc = G.canConnect(g4, catalog, ports, { source: "mlp_1", source_port: "out", target: "mlp", target_port: "x" });
    expect(cyc.ok).toBe(false);
    if (!cyc.ok) expect(cyc.reason).toMatch(/cycle/);
    expect(G.canConnect(g, catalog, ports, { source: "x", source_port: "nope", target: "cmp", target_port: "a" }).ok).toBe(false);
  });

  it("pastes with fresh ids, offset positions and internal edges only", () => {
    const g = chain();
    const clip = G.copyNodes(g, ["x", "mlp"]);
    const r = G.paste(g, clip, catalog, [10, 10]);
    expect(r.ids).toEqual(["x_1", "mlp_1"]);
    expect(r.graph.nodes.find((n) => n.id === "mlp_1")!.position).toEqual([210, 10]);
    expect(r.graph.edges.at(-1)).toEqual({ source: "x_1", source_port: "out", target: "mlp_1", target_port: "x" });
    expect(r.graph.nodes.find((n) => n.id === "x_1")!.params.name).toBe("x_1");
    const d = G.duplicate(r.graph, ["mlp"], catalog);
    expect(d.ids).toEqual(["mlp_2"]);
  });

  it("edits inside bodies through a path", () => {
    let g = G.addNode(chain(), spec("Loop"), [0, 0]).graph;
    const path = [{ node: "loop", body: "body" }];
    g = G.updateAt(g, path, (b) => G.addNode(b, spec("MLP"), [1, 2]).graph);
    expect(G.graphAt(g, path).nodes.map((n) => n.id)).toEqual(["mlp"]);
    expect(G.nodePath(path, "mlp")).toBe("loop/body/mlp");
    expect(G.graphAt(g, [{ node: "nope", body: "body" }])).toEqual({ nodes: [], edges: [] });
  });

  it("makes identifiers out of odd names", () => {
    expect(G.freshId({ nodes: [], edges: [] }, "my block")).toBe("my_block");
    expect(G.freshId({ nodes: [], edges: [] }, "1x")).toBe("n_1x");
  });

  it("refuses known shapes that do not fit the declared input shape", () => {
    const mlpX = { name: "x", kind: "tensor", shape: ["*", "widths[0]"], optional: false, doc: "" };
    expect(G.declaredShape(mlpX.shape, { widths: [3, 8, 1] })).toEqual(["*", 3]);
    expect(G.declaredShape(["*", "in_features"], { in_features: 4 })).toEqual(["*", 4]);
    expect(G.shapeConflict(["B", 2], ["*", 3])).toMatch(/does not fit \[\.\.\., 3\]/);
    expect(G.shapeConflict(["B", 3], ["*", 3])).toBeNull();
    expect(G.shapeConflict(["B", "D1"], ["*", 3])).toBeNull();
    expect(G.shapeConflict(["B", 2], ["B", "C", 2])).toMatch(/dimensions/);
    expect(G.shapeConflict(undefined, ["*", 3])).toBeNull();
    const shaped = { ...catalog, blocks: catalog.blocks.map((b) => (b.type === "MLP" ? { ...b, inputs: [mlpX] } : b)) };
    const g = G.removeEdges(chain(), ["x.out->mlp.x"]);
    const e = { source: "x", source_port: "out", target: "mlp", target_port: "x" };
    const r = G.canConnect(g, shaped, G.catalogPorts(shaped), e, () => ["B", 5]);
    expect(r.ok).toBe(false);
    expect(G.canConnect(g, shaped, G.catalogPorts(shaped), e, () => ["B", 2]).ok).toBe(true);
  });
});
