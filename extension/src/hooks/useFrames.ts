// Group frames on the canvas (frames.ts): React Flow nodes of their own kind, kept apart
// from the blocks. Dragging a frame drags the nodes inside it (as the drag began) and
// commits both as one edit; resizing, renaming and recolouring are one edit each.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { applyNodeChanges, type NodeChange } from "@xyflow/react";
import type { GraphDoc } from "../types";
import type { BlockFlowNode } from "../components/BlockNode";
import type { FrameFlowNode } from "../components/FrameNode";
import * as F from "../frames";

export type FlowNode = BlockFlowNode | FrameFlowNode;

export const isFrameId = (id: string) => id.startsWith(F.FRAME_PREFIX);

interface FramesInputs {
  /** the top graph; frames are drawn there only (bodies have no `meta`) */
  graph: GraphDoc;
  atTop: boolean;
  commit: (fn: (g: GraphDoc) => GraphDoc) => void;
  sizes: () => F.Sizes;
}

export function useFrames({ graph, atTop, commit, sizes }: FramesInputs) {
  const frames = useMemo(() => (atTop ? F.framesOf(graph) : []), [graph, atTop]);
  const onChange = useCallback((id: string, patch: Partial<Omit<F.Frame, "id">>) => commit((g) => F.updateFrame(g, id, patch)), [commit]);
  const [frameNodes, setFrameNodes] = useState<FrameFlowNode[]>([]);
  useEffect(() => {
    setFrameNodes((prev) => {
      const sel = new Set(prev.filter((n) => n.selected).map((n) => n.id));
      return frames.map((f) => ({
        id: F.FRAME_PREFIX + f.id, type: "frame" as const, position: { x: f.x, y: f.y },
        width: f.width, height: f.height, style: { width: f.width, height: f.height }, zIndex: -1,
        dragHandle: ".dw-frame-title", selected: sel.has(F.FRAME_PREFIX + f.id), data: { frame: f, onChange },
      }));
    });
  }, [frames, onChange]);

  const graphRef = useRef(graph);
  graphRef.current = graph;
  const drag = useRef<{ id: string; inside: string[] } | null>(null);

  /** Take the frames' changes; return the blocks' changes, plus the moves of the nodes
   * inside a frame being dragged (drawn only: the frame's own edit moves them). */
  const split = useCallback((changes: NodeChange<FlowNode>[]): NodeChange<BlockFlowNode>[] => {
    const mine = changes.filter((c) => "id" in c && isFrameId(c.id));
    const rest = changes.filter((c) => !("id" in c && isFrameId(c.id))) as NodeChange<BlockFlowNode>[];
    if (!mine.length) return rest;
    setFrameNodes((ns) => applyNodeChanges(mine.filter((c) => c.type !== "remove") as NodeChange<FrameFlowNode>[], ns));
    const extra: NodeChange<BlockFlowNode>[] = [];
    const g = graphRef.current;
    for (const c of mine) {
      if (c.type !== "position" || !c.position) continue;
      const id = c.id.slice(F.FRAME_PREFIX.length);
      const f = F.framesOf(g).find((q) => q.id === id);
      if (!f) continue;
      if (drag.current?.id !== id) drag.current = { id, inside: F.nodesInside(g, f, sizes()) };
      const { inside } = drag.current;
      const dx = c.position.x - f.x, dy = c.position.y - f.y;
      for (const nid of inside) {
        const n = g.nodes.find((q) => q.id === nid);
        if (n) extra.push({ type: "position", id: nid, position: { x: n.position[0] + dx, y: n.position[1] + dy }, dragging: true });
      }
      if (c.dragging === false) {
        drag.current = null;
        const { x, y } = c.position;
        commit((doc) => F.moveFrame(doc, id, x, y, inside));
      }
    }
    return [...rest, ...extra];
  }, [commit, sizes]);

  const selectedFrames = useMemo(() => frameNodes.filter((n) => n.selected).map((n) => n.data.frame.id), [frameNodes]);
  const frameAround = useCallback((ids: string[]) => {
    const s = sizes();
    commit((g) => F.addFrame(g, ids, s)?.graph ?? g);
  }, [commit, sizes]);
  const removeFrames = useCallback((ids: string[]) => commit((g) => F.removeFrames(g, ids)), [commit]);

  return { frameNodes, split, selectedFrames, frameAround, removeFrames };
}
