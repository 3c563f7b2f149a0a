import { describe, expect, it } from "vitest";
import { addFrame, framesOf, moveFrame, nodesInside, removeFrames, updateFrame } from "../src/frames";
import type { GraphDoc } from "../src/types";

const g: GraphDoc = {
  nodes: [
    { id: "a", type: "Input", params: {}, position: [0, 0] },
    { id: "b", type: "MLP", params: {}, position: [200, 0] },
    { id: "c", type: "Output", params: {}, position: [600, 0] },
  ],
  edges: [],
  meta: { author: "kept" },
};
const sizes = { a: { width: 100, height: 50 }, b: { width: 150, height: 80 } };

describe("group frames", () => {
  it("frame a selection with room for its title, saved in meta", () => {
    const r = addFrame(g, ["a", "b"], sizes, "encoder")!;
    const [f] = framesOf(r.graph);
    expect(r.id).toBe("frame_1");
    expect(f).toMatchObject({ id: "frame_1", title: "encoder", x: -30, y: -64, width: 410, height: 174 });
    expect(r.graph.meta?.author).toBe("kept");
    expect(nodesInside(r.graph, f, sizes)).toEqual(["a", "b"]);
    expect(addFrame(r.graph, ["c"], sizes)!.id).toBe("frame_2");
    expect(addFrame(g, [], sizes)).toBeNull();
  });

  it("moves its nodes with it, in one edit, and leaves the others", () => {
    const r = addFrame(g, ["a", "b"], sizes)!;
    const moved = moveFrame(r.graph, r.id, -30 + 50, -64 + 20, ["a", "b"]);
    expect(moved.nodes.map((n) => n.position)).toEqual([[50, 20], [250, 20], [600, 0]]);
    expect(framesOf(moved)[0]).toMatchObject({ x: 20, y: -44 });
    expect(moveFrame(r.graph, r.id, -30, -64, ["a"])).toBe(r.graph);
  });

  it("retitles, recolours and removes; ignores what is not a frame", () => {
    const r = addFrame(g, ["a"], sizes)!;
    const t = updateFrame(r.graph, r.id, { title: "inputs", colour: "#e15759" });
    expect(framesOf(t)[0]).toMatchObject({ title: "inputs", colour: "#e15759" });
    const gone = removeFrames(t, [r.id]);
    expect(framesOf(gone)).toEqual([]);
    expect(gone.meta).toEqual({ author: "kept" });
    expect(framesOf({ ...g, meta: { frames: [{ id: 3 }, "x", { id: "ok", x: 0, y: 0, width: 1, height: 1 }] } }).map((f) => f.id)).toEqual(["ok"]);
  });
});
