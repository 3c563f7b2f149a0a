// Everything a person can do to the graph from a key, a toolbar button or a menu item, by
// name: the shortcuts (useShortcuts), the toolbar and the right-click menus (useMenus) all
// call these, so each command is written once. Each edit is one undo step.
import { useCallback, useMemo, useRef, type RefObject } from "react";
import { useReactFlow } from "@xyflow/react";
import type { Transport } from "../transport";
import type { Catalog, GraphDoc } from "../types";
import * as G from "../graph";
import * as H from "../history";
import { FIT, FIT_LAYOUT, viewportFor } from "../zoom";
import type { Commit } from "./useDocument";
import { useGrouping } from "./useGrouping";

export interface ActionInputs {
  transport: Transport;
  catalog: Catalog;
  graphRef: RefObject<GraphDoc>;
  canvasRef: RefObject<HTMLDivElement | null>;
  path: G.GraphPath;
  commit: Commit;
  travel: (fn: (h: H.History<GraphDoc>) => H.History<GraphDoc>) => void;
  selectOnly: (ids: string[]) => void;
  focusRoot: () => void;
  leave: () => void;
  frames: { frameAround: (ids: string[]) => void; removeFrames: (ids: string[]) => void };
}

export type EditorActions = ReturnType<typeof useEditorActions>;

export function useEditorActions(inp: ActionInputs) {
  const { transport, catalog, graphRef, canvasRef, path, commit, travel, selectOnly, focusRoot, leave, frames } = inp;
  const rf = useReactFlow();
  const clipboard = useRef<G.Clip | null>(null);
  const grouping = useGrouping({ transport, graphRef, commit, selectOnly });

  const undo = useCallback(() => travel(H.undo), [travel]);
  const redo = useCallback(() => travel(H.redo), [travel]);

  /** Commit `edit`, then select the nodes it made. */
  const editThenSelect = useCallback((edit: (g: GraphDoc) => { graph: GraphDoc; ids: string[] }) => {
    let ids: string[] = [];
    commit((g) => { const r = edit(g); ids = r.ids; return r.graph; });
    window.setTimeout(() => selectOnly(ids), 0);
  }, [commit, selectOnly]);

  const copy = useCallback((ids: string[]) => { clipboard.current = G.copyNodes(graphRef.current, ids); }, [graphRef]);
  const hasClip = useCallback(() => clipboard.current !== null, []);
  const paste = useCallback(() => {
    const clip = clipboard.current;
    if (clip) editThenSelect((g) => G.paste(g, clip, catalog));
  }, [editThenSelect, catalog]);
  const duplicate = useCallback((ids: string[]) => editThenSelect((g) => G.duplicate(g, ids, catalog)), [editThenSelect, catalog]);

  /** Delete nodes (with their edges) and edges: one step. */
  const remove = useCallback((nodes: string[], edges: string[]) => {
    commit((g) => G.removeEdges(G.removeNodes(g, nodes), edges));
    // the focused node is gone: keep keyboard focus in the editor, not JupyterLab
    focusRoot();
  }, [commit, focusRoot]);

  const canUngroup = useCallback((ids: string[]) => ids.some((id) => G.isGroup(graphRef.current, catalog, id)), [graphRef, catalog]);
  const atTop = path.length === 0;
  /** Frames are drawn on the top graph only. */
  const { frameAround, removeFrames } = frames;
  const frame = useCallback((ids: string[]) => { if (atTop && ids.length) frameAround(ids); }, [atTop, frameAround]);

  const selectAll = useCallback(() => selectOnly(graphRef.current.nodes.map((n) => n.id)), [selectOnly, graphRef]);
  const fit = useCallback(() => void rf.fitView(FIT), [rf]);
  const validate = useCallback(() => transport.send({ cmd: "validate" }), [transport]);

  /** Auto-layout (layout.ts), then a view of the result. */
  const layout = useCallback(async () => {
    const sizes: Record<string, { width: number; height: number }> = {};
    for (const n of rf.getNodes()) if (n.measured?.width) sizes[n.id] = { width: n.measured.width, height: n.measured.height ?? 80 };
    const { layout: place } = await import("../layout");
    const pos = await place(graphRef.current, sizes, transport);
    commit((g) => G.moveNodes(g, pos));
    // the viewport from the new positions themselves: React Flow may not have them yet
    const ids = Object.keys(pos);
    const view = canvasRef.current?.getBoundingClientRect();
    if (!ids.length || !view) return;
    const x0 = Math.min(...ids.map((id) => pos[id][0])), y0 = Math.min(...ids.map((id) => pos[id][1]));
    const x1 = Math.max(...ids.map((id) => pos[id][0] + (sizes[id]?.width ?? 180)));
    const y1 = Math.max(...ids.map((id) => pos[id][1] + (sizes[id]?.height ?? 80)));
    void rf.setViewport(viewportFor({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, view, FIT_LAYOUT.minZoom));
  }, [rf, commit, transport, graphRef, canvasRef]);

  return useMemo(() => ({
    undo, redo, copy, hasClip, paste, duplicate, remove, removeFrames,
    group: grouping.group, ungroup: grouping.ungroup, canUngroup, frame, atTop,
    selectAll, fit, layout, validate, leave,
  }), [undo, redo, copy, hasClip, paste, duplicate, remove, removeFrames, grouping.group, grouping.ungroup,
    canUngroup, frame, atTop, selectAll, fit, layout, validate, leave]);
}
