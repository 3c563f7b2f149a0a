// The right-click menus of nodes, frames, edges and the canvas: each item is an editor
// action (useEditorActions) with the key that does the same. Also the block help card the
// node menu opens.
import { useCallback, useState, type RefObject } from "react";
import type { Edge } from "@xyflow/react";
import type { EdgeDoc, GraphDoc } from "../types";
import * as G from "../graph";
import type { MenuAt } from "../components/ContextMenu";
import type { BlockFlowNode } from "../components/BlockNode";
import type { EditorActions } from "./useEditorActions";
import type { FlowNode } from "./useFrames";

export interface MenuInputs {
  actions: EditorActions;
  canvasRef: RefObject<HTMLDivElement | null>;
  graphRef: RefObject<GraphDoc>;
  selectedIds: string[];
  selectOnly: (ids: string[]) => void;
  enter: (id: string, body: string) => void;
  /** open the block search at a point on the screen (useQuickAdd) */
  openSearch: (clientX: number, clientY: number) => void;
  probes: { isProbed: (edge: string) => boolean; setProbe: (edge: EdgeDoc, on: boolean) => void };
}

export function useMenus(inp: MenuInputs) {
  const { actions, canvasRef, graphRef, selectedIds, selectOnly, enter, openSearch, probes } = inp;
  const [menu, setMenu] = useState<MenuAt | null>(null);
  /** the block type whose help card is open */
  const [help, setHelp] = useState<string | null>(null);
  const at = useCallback((e: React.MouseEvent | MouseEvent) => {
    const box = canvasRef.current?.getBoundingClientRect();
    return { x: e.clientX - (box?.left ?? 0), y: e.clientY - (box?.top ?? 0) };
  }, [canvasRef]);

  const onNodeContextMenu = useCallback((e: React.MouseEvent, node: FlowNode) => {
    e.preventDefault();
    if (node.type === "frame") {
      const f = node.data.frame;
      setMenu({ ...at(e), title: `frame ${f.title || f.id}`, items: [
        { label: "Remove frame", keys: "Del", run: () => actions.removeFrames([f.id]) },
      ] });
      return;
    }
    const n = node as BlockFlowNode;
    const ids = n.selected ? selectedIds : [n.id];
    if (!n.selected) selectOnly([n.id]);
    const spec = n.data.spec;
    const body = spec?.bodies[0];
    setMenu({
      ...at(e), title: ids.length > 1 ? `${ids.length} nodes` : `${n.id} (${n.data.node.type})`, items: [
        { label: `Open ${body ?? "body"}`, disabled: !body, run: () => { if (body) enter(n.id, body); } },
        { label: "Duplicate", keys: "Ctrl+D", run: () => actions.duplicate(ids) },
        { label: "Group selection", keys: "Ctrl+G", run: () => actions.group(ids) },
        { label: "Frame", keys: "Shift+F", disabled: !actions.atTop, run: () => actions.frame(ids) },
        { label: "Ungroup", keys: "Shift+Ctrl+G", disabled: !actions.canUngroup(ids), run: () => actions.ungroup(ids) },
        { label: "Delete", keys: "Del", run: () => actions.remove(ids, []) },
        { label: "Help", disabled: !spec, run: () => setHelp(n.data.node.type) },
      ],
    });
  }, [at, actions, selectedIds, selectOnly, enter]);

  const { isProbed, setProbe } = probes;
  const onEdgeContextMenu = useCallback((e: React.MouseEvent, edge: Edge) => {
    e.preventDefault();
    const doc = graphRef.current.edges.find((x) => G.edgeKey(x) === edge.id);
    const probed = isProbed(edge.id);
    setMenu({
      ...at(e), title: edge.id, items: [
        // probes follow the top graph's nodes (the kernel hooks its compiled modules)
        { label: probed ? "Remove probe" : "Probe", disabled: !doc || !actions.atTop, run: () => { if (doc) setProbe(doc, !probed); } },
        { label: "Delete", keys: "Del", run: () => actions.remove([], [edge.id]) },
      ],
    });
  }, [at, actions, graphRef, isProbed, setProbe]);

  const onPaneContextMenu = useCallback((e: React.MouseEvent | MouseEvent) => {
    e.preventDefault();
    const { clientX, clientY } = e;
    setMenu({
      ...at(e), title: "canvas", items: [
        { label: "Add block", keys: "double-click", run: () => openSearch(clientX, clientY) },
        { label: "Paste", keys: "Ctrl+V", disabled: !actions.hasClip(), run: actions.paste },
        { label: "Auto-layout", keys: "L", run: () => void actions.layout() },
        { label: "Fit view", keys: "F", run: actions.fit },
      ],
    });
  }, [at, actions, openSearch]);

  const closeMenu = useCallback(() => setMenu(null), []);
  const closeHelp = useCallback(() => setHelp(null), []);

  return { menu, closeMenu, help, closeHelp, onNodeContextMenu, onEdgeContextMenu, onPaneContextMenu };
}
