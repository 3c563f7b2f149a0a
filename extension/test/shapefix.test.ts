import { describe, expect, it } from "vitest";
import * as G from "../src/graph";
import type { BlockSpec, Catalog, GraphDoc, PortSpec } from "../src/types";

const port = (name: string, shape: (string | number | null)[] | null = null): PortSpec => ({ name, kind: "tensor", shape, optional: false, doc: "" });
const block = (type: string, inputs: PortSpec[], outputs: PortSpec[], params: BlockSpec["params"] = []): BlockSpec => ({
  type, category: "t", doc: "", inputs, outputs, params, bodies: [], dynamic_ports: false,
});
const catalog: Catalog = {
  blocks: [
    block("Src", [], [port("out")], [{ name: "shape", kind: "shape", doc: "", required: false, default: null }]),
    block("Lin", [port("x", ["*", "in_features"])], [port("out", ["*", "out_features"])], [
      { name: "in_features", kind: "int", doc: "", required: true },
    ]),
    block("Net", [port("x", ["*", "widths[0]"])], [port("out")], [{ name: "widths", kind: "list", item: "int", doc: "", required: false, default: [2, 2] }]),
    block("Sink", [port("x", [3])], []),
  ],
  kinds: { tensor: ["tensor"] },
};
const g: GraphDoc = {
  nodes: [
    { id: "x", type: "Src", params: { shape: [null, 1] }, position: [0, 0] },
    { id: "lin", type: "Lin", params: { in_features: 2 }, position: [0, 0] },
    { id: "net", type: "Net", params: { widths: [2, 8, 2] }, position: [0, 0] },
    { id: "sink", type: "Sink", params: {}, position: [0, 0] },
  ],
  edges: [],
};
// x's output port is its shape param, as the kernel's dynamic ports say
const ports: G.PortLookup = (n) => {
  if (n.id === "x") return { inputs: [], outputs: [port("out", [null, 1])] };
  const s = catalog.blocks.find((b) => b.type === n.type)!;
  return { inputs: s.inputs, outputs: s.outputs };
};
const shapeOf = (node: string) => (node === "x" ? ["B", 1] : undefined);
const edge = (target: string) => ({ source: "x", source_port: "out", target, target_port: "x" });

describe("shapeFix", () => {
  it("sets the target's size param to the wire's size", () => {
    expect(G.canConnect(g, catalog, ports, edge("lin"), shapeOf).ok).toBe(false);
    const fix = G.shapeFix(g, catalog, ports, edge("lin"), shapeOf)!;
    expect(fix).toMatchObject({ node: "lin", param: "in_features", value: 1, text: "set lin.in_features = 1" });
    const after = G.applyFix(g, fix, edge("lin"));
    expect(after.nodes.find((n) => n.id === "lin")!.params.in_features).toBe(1);
    expect(after.edges).toEqual([edge("lin")]);
    expect(G.canConnect({ ...after, edges: [] }, catalog, ports, edge("lin"), shapeOf).ok).toBe(true);
  });

  it("sets one entry of a list param", () => {
    const fix = G.shapeFix(g, catalog, ports, edge("net"), shapeOf)!;
    expect(fix).toMatchObject({ node: "net", param: "widths", index: 0, value: 1 });
    expect(G.applyFix(g, fix).nodes.find((n) => n.id === "net")!.params.widths).toEqual([1, 8, 2]);
  });

  it("falls back to the source's shape param when the target's size is fixed", () => {
    const fix = G.shapeFix(g, catalog, ports, { ...edge("sink") }, (n) => (n === "x" ? [1] : undefined));
    expect(fix).toBeNull(); // [1] vs [3]: x's shape is [null, 1], two dims: no safe fix
    const g1 = { ...g, nodes: g.nodes.map((n) => (n.id === "x" ? { ...n, params: { shape: [1] } } : n)) };
    const p1: G.PortLookup = (n) => (n.id === "x" ? { inputs: [], outputs: [port("out", [1])] } : ports(n));
    const f1 = G.shapeFix(g1, catalog, p1, edge("sink"), (n) => (n === "x" ? [1] : undefined))!;
    expect(f1).toMatchObject({ node: "x", param: "shape", index: 0, value: 3, text: "set x.shape[0] = 3" });
    expect(G.applyFix(g1, f1).nodes[0].params.shape).toEqual([3]);
  });

  it("offers nothing when the wire fits", () => {
    const ok = { ...g, nodes: g.nodes.map((n) => (n.id === "lin" ? { ...n, params: { in_features: 1 } } : n)) };
    expect(G.shapeFix(ok, catalog, ports, edge("lin"), shapeOf)).toBeNull();
  });
});

describe("auto sizes", () => {
  const autoCatalog: Catalog = {
    ...catalog,
    blocks: catalog.blocks.map((b) => (b.type === "Lin" || b.type === "Net"
      ? { ...b, params: b.params.map((p) => ({ ...p, auto: true })) } : b)),
  };
  it("offers to follow the wire where the param may be auto", () => {
    const fix = G.shapeFix(g, autoCatalog, ports, edge("lin"), shapeOf)!;
    expect(fix.auto).toBe(true);
    const out = G.applyFix(g, fix, edge("lin"), true);
    expect(out.nodes.find((n) => n.id === "lin")!.params.in_features).toBe("auto");
    expect(out.edges).toHaveLength(1);
    const net = G.applyFix(g, G.shapeFix(g, autoCatalog, ports, edge("net"), shapeOf)!, edge("net"), true);
    expect(net.nodes.find((n) => n.id === "net")!.params.widths).toEqual(["auto", 8, 2]);
  });
  it("does not offer it where the param cannot be auto", () => {
    expect(G.shapeFix(g, catalog, ports, edge("lin"), shapeOf)!.auto).toBe(false);
    const fix = G.shapeFix(g, catalog, ports, edge("lin"), shapeOf)!;
    expect(G.applyFix(g, fix, edge("lin"), true).nodes.find((n) => n.id === "lin")!.params.in_features).toBe(1);
  });
  it("an auto size never refuses a wire", () => {
    const h = { ...g, nodes: g.nodes.map((n) => (n.id === "lin" ? { ...n, params: { in_features: "auto" } } : n)) };
    expect(G.canConnect(h, autoCatalog, ports, edge("lin"), shapeOf).ok).toBe(true);
  });
});
