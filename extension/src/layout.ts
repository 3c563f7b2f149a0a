// Auto-layout with elkjs (layered, left to right). Returns new positions only; the caller
// applies them with moveNodes as one undo step. A layout wider than MAX_WIDTH is redone
// with ELK's layer wrapping aiming at the canvas's aspect ratio, so a 200-node chain is a
// block of rows, not one line 40,000 px wide shown at 5% zoom. elkjs comes from the kernel
// on first use (assets.ts): it is three times the size of the rest of the editor.
import type ELKType from "elkjs/lib/elk.bundled.js";
import { loadAsset } from "./assets";
import type { Transport } from "./transport";
import type { GraphDoc } from "./types";

type Elk = InstanceType<typeof ELKType>;
let elk: Elk | null = null;

/** The width / height a wrapped graph aims at (a wide canvas). */
export const ASPECT = 1.6;
/** Wider than this (graph px), a layout is wrapped: about what a 1000 px wide canvas
 * shows at the zoom where nodes keep full detail (zoom.ts FAR_ZOOM). */
export const MAX_WIDTH = 2800;

type Sizes = Record<string, { width: number; height: number }>;

/** Layout with the elkjs the kernel serves (loaded once). */
export async function layout(g: GraphDoc, sizes: Sizes, transport: Transport): Promise<Record<string, [number, number]>> {
  if (!elk) elk = new (await loadAsset<typeof ELKType>(transport, "elk"))();
  return positions(elk, g, sizes);
}

/** New positions from `engine`: layered, wrapped when wider than MAX_WIDTH. */
export async function positions(engine: Elk, g: GraphDoc, sizes: Sizes, aspect: number = ASPECT): Promise<Record<string, [number, number]>> {
  const flat = await run(engine, g, sizes, null);
  const xs = Object.entries(flat).map(([id, p]) => p[0] + (sizes[id]?.width ?? 180));
  return xs.length && Math.max(...xs) > MAX_WIDTH ? run(engine, g, sizes, aspect) : flat;
}

async function run(engine: Elk, g: GraphDoc, sizes: Sizes, wrapAt: number | null): Promise<Record<string, [number, number]>> {
  const wrap: Record<string, string> = wrapAt === null ? {} : {
    "elk.aspectRatio": String(wrapAt),
    "elk.layered.wrapping.strategy": "MULTI_EDGE",
    "elk.layered.wrapping.additionalEdgeSpacing": "20",
  };
  const res = await engine.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "40",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      ...wrap,
    },
    children: g.nodes.map((n) => ({ id: n.id, width: sizes[n.id]?.width ?? 180, height: sizes[n.id]?.height ?? 80 })),
    edges: g.edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  });
  const out: Record<string, [number, number]> = {};
  for (const c of res.children ?? []) out[c.id] = [Math.round(c.x ?? 0), Math.round(c.y ?? 0)];
  return out;
}
