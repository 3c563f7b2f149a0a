// Adding a block from the palette: a click puts it in the middle of the canvas, a drag
// where it is dropped. The palette lists the blocks used last first.
import { useCallback, useState, type RefObject } from "react";
import { useReactFlow } from "@xyflow/react";
import type { BlockSpec } from "../types";
import * as G from "../graph";
import { DRAG_TYPE } from "../components/Palette";
import type { Commit } from "./useDocument";

const RECENT = 8;

export function useAddBlock(rootRef: RefObject<HTMLDivElement | null>, specs: Map<string, BlockSpec>, commit: Commit) {
  const rf = useReactFlow();
  const [recent, setRecent] = useState<string[]>([]);
  const noteUsed = useCallback((type: string) => setRecent((r) => [type, ...r.filter((t) => t !== type)].slice(0, RECENT)), []);

  /** A block of `type` at `at` (flow coordinates), else in the middle of the canvas. */
  const addBlock = useCallback((type: string, at?: { x: number; y: number }) => {
    const spec = specs.get(type);
    if (!spec) return;
    noteUsed(type);
    const el = rootRef.current?.querySelector(".react-flow");
    const r = el?.getBoundingClientRect();
    const pos = at ?? rf.screenToFlowPosition({ x: (r?.left ?? 0) + (r?.width ?? 400) / 2, y: (r?.top ?? 0) + (r?.height ?? 300) / 2 });
    commit((g) => G.addNode(g, spec, [Math.round(pos.x), Math.round(pos.y)]).graph);
  }, [specs, rf, commit, noteUsed, rootRef]);

  const onDragOver = useCallback((e: React.DragEvent) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }, []);
  const onDrop = useCallback((e: React.DragEvent) => {
    const type = e.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    e.preventDefault();
    addBlock(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  }, [addBlock, rf]);

  return { recent, noteUsed, addBlock, onDragOver, onDrop };
}
