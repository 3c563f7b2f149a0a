import { describe, expect, it } from "vitest";
import * as G from "../src/graph";
import type { EdgeDoc, GraphDoc } from "../src/types";

const e = (source: string, source_port: string, target: string, target_port: string): EdgeDoc =>
  ({ source, source_port, target, target_port });

// x -> a -> b -> y, and a -> z (a second reader outside); c is unrelated
function doc(): GraphDoc {
  return {
    nodes: [
      { id: "x", type: "Input", params: { name: "x" }, position: [0, 0] },
      { id: "a", type: "MLP", params: { widths: [2, 2] }, position: [200, 0] },
      { id: "b", type: "Neg", params: {}, position: [400, 40] },
      { id: "y", type: "Output", params: { name: "y" }, position: [600, 0] },
      { id: "z", type: "Output", params: { name: "z" }, position: [600, 200] },
      { id: "c", type: "Constant", params: {}, position: [0, 300] },
    ],
    edges: [e("x", "out", "a", "x"), e("a", "out", "b", "x"), e("b", "out", "y", "x"), e("a", "out", "z", "x")],
  };
}

const sortEdges = (es: EdgeDoc[]) => [...es].map(G.edgeKey).sort();

describe("group and ungroup", () => {
  it("moves the selection into a Group body wired through its ports", () => {
    const g0 = doc();
    const r = G.groupSelection(g0, ["a", "b", "y"])!; // Output nodes of the graph stay put
    expect(r.id).toBe("group");
    const grp = r.graph.nodes.find((n) => n.id === "group")!;
    expect(grp.type).toBe("Group");
    expect(grp.params).toEqual({ inputs: ["x"], outputs: ["b_1", "a_1"] }); // apart from node ids
    expect(r.graph.nodes.map((n) => n.id).sort()).toEqual(["c", "group", "x", "y", "z"]);
    expect(sortEdges(r.graph.edges)).toEqual(sortEdges([
      e("x", "out", "group", "x"), e("group", "b_1", "y", "x"), e("group", "a_1", "z", "x"),
    ]));
    const body = grp.body!.body;
    expect(body.nodes.map((n) => `${n.id}:${n.type}`).sort()).toEqual(
      ["a:MLP", "a_1:Output", "b:Neg", "b_1:Output", "x:Input"]);
    expect(sortEdges(body.edges)).toEqual(sortEdges([
      e("x", "out", "a", "x"), e("a", "out", "b", "x"), e("b", "out", "b_1", "x"), e("a", "out", "a_1", "x"),
    ]));
    expect(g0.nodes).toHaveLength(6); // never mutates
  });

  it("names ports apart from the body's node ids", () => {
    const r = G.groupSelection(doc(), ["a", "b"])!;
    const grp = r.graph.nodes.find((n) => n.id === "group")!;
    const ids = grp.body!.body.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const name of [...(grp.params.outputs as string[]), ...(grp.params.inputs as string[])]) {
      const n = grp.body!.body.nodes.find((x) => x.id === name)!;
      expect(n.params.name).toBe(name);
    }
  });

  it("ungroup restores the original graph", () => {
    const g0 = doc();
    const grouped = G.groupSelection(g0, ["a", "b"])!;
    const r = G.ungroup(grouped.graph, grouped.id)!;
    expect(r.ids.sort()).toEqual(["a", "b"]);
    expect(r.graph.nodes.map((n) => n.id).sort()).toEqual(g0.nodes.map((n) => n.id).sort());
    expect(sortEdges(r.graph.edges)).toEqual(sortEdges(g0.edges));
    const a = r.graph.nodes.find((n) => n.id === "a")!;
    expect(a.params).toEqual({ widths: [2, 2] });
  });

  it("ungroup renames clashing ids and resolves pass-through ports", () => {
    const g: GraphDoc = {
      nodes: [
        { id: "x", type: "Input", params: { name: "x" }, position: [0, 0] },
        { id: "m", type: "Neg", params: {}, position: [0, 100] },
        {
          id: "g", type: "Group", params: { inputs: ["p"], outputs: ["q", "r"] }, position: [300, 0],
          body: { body: {
            nodes: [
              { id: "p", type: "Input", params: { name: "p" }, position: [0, 0] },
              { id: "m", type: "Neg", params: {}, position: [100, 0] },
              { id: "q", type: "Output", params: { name: "q" }, position: [200, 0] },
              { id: "r", type: "Output", params: { name: "r" }, position: [200, 100] },
            ],
            edges: [e("p", "out", "m", "x"), e("m", "out", "q", "x"), e("p", "out", "r", "x")],
          } },
        },
        { id: "y", type: "Output", params: { name: "y" }, position: [600, 0] },
        { id: "w", type: "Output", params: { name: "w" }, position: [600, 100] },
      ],
      edges: [e("x", "out", "g", "p"), e("g", "q", "y", "x"), e("g", "r", "w", "x")],
    };
    const r = G.ungroup(g, "g")!;
    expect(r.ids).toEqual(["m_1"]);
    expect(sortEdges(r.graph.edges)).toEqual(sortEdges([
      e("x", "out", "m_1", "x"), e("m_1", "out", "y", "x"), e("x", "out", "w", "x"),
    ]));
    expect(r.graph.nodes.find((n) => n.id === "m_1")!.position).toEqual([300, 0]);
  });

  it("refuses what it cannot do", () => {
    expect(G.groupSelection(doc(), ["x", "y"])).toBeNull();
    expect(G.groupSelection(doc(), [])).toBeNull();
    expect(G.ungroup(doc(), "a")).toBeNull();
  });
});
