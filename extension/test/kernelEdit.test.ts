import { describe, expect, it } from "vitest";
import * as G from "../src/graph";
import { docPatch } from "../src/patch";
import type { Catalog } from "../src/types";
import { catalog, chain, spec } from "./fixtures";

// The roles come from the catalog: these type names are the fixture's, not the editor's.
const grouping: Catalog = {
  ...catalog,
  blocks: [...catalog.blocks, { ...spec("Loop"), type: "Bundle", role: "group" }],
};

describe("edits the kernel computes (group, ungroup)", () => {
  it("share every unchanged node with the document they were made on", () => {
    const g = chain();
    // as the kernel answers: a JSON copy, with one node replaced by another
    const made = JSON.parse(JSON.stringify({ ...g, nodes: [...g.nodes.slice(0, 2), { ...g.nodes[2], id: "cmp_2" }] }));
    const shared = G.shareUnchanged(g, made);
    expect(shared).toEqual(made);
    expect(shared.nodes[0]).toBe(g.nodes[0]);
    expect(shared.nodes[1]).toBe(g.nodes[1]);
    expect(shared.nodes[2]).not.toBe(g.nodes[2]);
    expect(shared.edges).toBe(g.edges);
    expect(shared.training).toBe(g.training);
    // so the write carries the one new node, not the whole document
    expect(docPatch(g, shared)).toEqual({ nodes: [shared.nodes[2]], order: ["x", "mlp", "cmp_2"] });
  });

  it("tell a group node by the catalog's role, not by its type name", () => {
    const g = G.addNode(chain(), spec("Loop"), [0, 0]).graph;
    const bundled = { ...g, nodes: [...g.nodes, { id: "b", type: "Bundle", params: {}, position: [0, 0] as [number, number] }] };
    expect(G.isGroup(bundled, grouping, "b")).toBe(true);
    expect(G.isGroup(bundled, grouping, "loop")).toBe(false);
    expect(G.isGroup(bundled, grouping, "nope")).toBe(false);
  });

  it("a body edit that changes nothing is no edit of the document (no undo step)", () => {
    const g = G.addNode(chain(), spec("Loop"), [0, 0]).graph;
    expect(G.updateAt(g, [{ node: "loop", body: "body" }], (b) => b)).toBe(g);
    expect(G.updateAt(g, [{ node: "nope", body: "body" }], () => ({ nodes: [], edges: [] }))).toBe(g);
  });
});
