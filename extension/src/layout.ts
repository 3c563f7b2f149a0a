// Auto-layout with elkjs (layered, left to right). Returns new positions only; the caller
// applies them with moveNodes as one undo step. elkjs comes from the kernel on first use
// (assets.ts): it is three times the size of the rest of the editor.
import type ELKType from "elkjs/lib/elk.bundled.js";
import { loadAsset } from "./assets";
import type { Transport } from "./transport";
import type { GraphDoc } from "./types";

let elk: InstanceType<typeof ELKType> | null = null;

export async function layout(
  g: GraphDoc, sizes: Record<string, { width: number; height: number }>, transport: Transport,
): Promise<Record<string, [number, number]>> {
  if (!elk) elk = new (await loadAsset<typeof ELKType>(transport, "elk"))();
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
