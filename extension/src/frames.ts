// Group frames: titled, coloured rectangles drawn behind a region of the top graph. They
// are layout, not computation, so they live in the document's `meta.frames` (the schema's
// free `meta` object; bodies have none) and a frame moves the nodes inside it.
import type { GraphDoc } from "./types";

export interface Frame { id: string; title: string; colour: string; x: number; y: number; width: number; height: number }
export type Sizes = Record<string, { width: number; height: number }>;

export const FRAME_COLOURS = ["#4e8fd6", "#59a14f", "#f28e2b", "#b07aa1", "#e15759", "#76b7b2"];
export const FRAME_PREFIX = "frame:"; // React Flow ids of frames (node ids are identifiers)
const PAD = 30;
const HEAD = 34; // room for the title above the first node
const DEFAULT_SIZE = { width: 180, height: 90 };

const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The document's frames; entries that are not frames are left out (the file is text). */
export function framesOf(g: GraphDoc): Frame[] {
  const raw = (g.meta as { frames?: unknown } | undefined)?.frames;
  if (!Array.isArray(raw)) return [];
  return raw.filter((f): f is Frame => !!f && typeof f === "object" && typeof f.id === "string"
    && num(f.x) && num(f.y) && num(f.width) && num(f.height))
    .map((f) => ({ ...f, title: typeof f.title === "string" ? f.title : "", colour: typeof f.colour === "string" ? f.colour : FRAME_COLOURS[0] }));
}

function withFrames(g: GraphDoc, frames: Frame[]): GraphDoc {
  const meta = { ...(g.meta ?? {}) };
  if (frames.length) meta.frames = frames; else delete meta.frames;
  return { ...g, meta };
}

/** A frame around nodes `ids` (their measured `sizes` where known), with a fresh id. */
export function addFrame(g: GraphDoc, ids: string[], sizes: Sizes, title = "Frame"): { graph: GraphDoc; id: string } | null {
  const nodes = g.nodes.filter((n) => ids.includes(n.id));
  if (!nodes.length) return null;
  const box = (n: { id: string }) => sizes[n.id] ?? DEFAULT_SIZE;
  const x0 = Math.min(...nodes.map((n) => n.position[0])) - PAD;
  const y0 = Math.min(...nodes.map((n) => n.position[1])) - PAD - HEAD;
  const x1 = Math.max(...nodes.map((n) => n.position[0] + box(n).width)) + PAD;
  const y1 = Math.max(...nodes.map((n) => n.position[1] + box(n).height)) + PAD;
  const frames = framesOf(g);
  const taken = new Set(frames.map((f) => f.id));
  let i = 1;
  while (taken.has(`frame_${i}`)) i++;
  const id = `frame_${i}`;
  const frame: Frame = { id, title, colour: FRAME_COLOURS[frames.length % FRAME_COLOURS.length], x: Math.round(x0), y: Math.round(y0), width: Math.round(x1 - x0), height: Math.round(y1 - y0) };
  return { graph: withFrames(g, [...frames, frame]), id };
}

/** Node ids whose box lies inside the frame (by its centre: a node half out still moves). */
export function nodesInside(g: GraphDoc, f: Frame, sizes: Sizes): string[] {
  return g.nodes.filter((n) => {
    const s = sizes[n.id] ?? DEFAULT_SIZE;
    const cx = n.position[0] + s.width / 2, cy = n.position[1] + s.height / 2;
    return cx >= f.x && cx <= f.x + f.width && cy >= f.y && cy <= f.y + f.height;
  }).map((n) => n.id);
}

/** Move frame `id` to (x, y) and the nodes `inside` it by as much: one edit. */
export function moveFrame(g: GraphDoc, id: string, x: number, y: number, inside: string[]): GraphDoc {
  const frames = framesOf(g);
  const f = frames.find((q) => q.id === id);
  if (!f) return g;
  const dx = Math.round(x - f.x), dy = Math.round(y - f.y);
  if (!dx && !dy) return g;
  const move = new Set(inside);
  return withFrames({
    ...g,
    nodes: g.nodes.map((n) => (move.has(n.id) ? { ...n, position: [n.position[0] + dx, n.position[1] + dy] as [number, number] } : n)),
  }, frames.map((q) => (q.id === id ? { ...q, x: q.x + dx, y: q.y + dy } : q)));
}

export function updateFrame(g: GraphDoc, id: string, patch: Partial<Omit<Frame, "id">>): GraphDoc {
  const frames = framesOf(g);
  if (!frames.some((f) => f.id === id)) return g;
  return withFrames(g, frames.map((f) => (f.id === id ? { ...f, ...patch } : f)));
}

export function removeFrames(g: GraphDoc, ids: string[]): GraphDoc {
  const frames = framesOf(g);
  const kept = frames.filter((f) => !ids.includes(f.id));
  return kept.length === frames.length ? g : withFrames(g, kept);
}
