// Auto-layout with elkjs (layered, left to right). Returns new positions only; the caller
// applies them with moveNodes as one undo step.
import ELK from "elkjs/lib/elk.bundled.js";
import type { GraphDoc } from "./types";

const elk = new ELK();

export async function layout(
  g: GraphDoc, sizes: Record<string, { width: number; height: number }>,
): Promise<Record<string, [number, number]>> {
  const res = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "40",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
    },
    children: g.nodes.map((n) => ({ id: n.id, width: sizes[n.id]?.width ?? 180, height: sizes[n.id]?.height ?? 80 })),
    edges: g.edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  });
  const out: Record<string, [number, number]> = {};
  for (const c of res.children ?? []) out[c.id] = [Math.round(c.x ?? 0), Math.round(c.y ?? 0)];
  return out;
}
