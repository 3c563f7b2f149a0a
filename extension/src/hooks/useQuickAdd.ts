// Adding blocks where the pointer is: a double-click on empty canvas opens the block
// search there; a wire dropped on empty canvas opens it filtered to the blocks that can
// take (or feed) that wire, and the chosen block arrives connected. One undo step.
import { useCallback, useState, type RefObject } from "react";
import type { FinalConnectionState, ReactFlowInstance } from "@xyflow/react";
import type { BlockSpec, Catalog, EdgeDoc, GraphDoc } from "../types";
import * as G from "../graph";
import type { SearchAt } from "../components/BlockSearch";

interface Pending { node: string; port: string; side: "source" | "target"; kind: string }

/** Blocks with a port that can be wired to a `kind` port on `side` of the dragged wire, and
 * that port's name (the first fitting one). */
export function compatibleBlocks(catalog: Catalog, kind: string, side: "source" | "target"): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of catalog.blocks) {
    const port = side === "source"
      ? b.inputs.find((p) => (catalog.kinds[p.kind] ?? []).includes(kind))
      : b.outputs.find((p) => (catalog.kinds[kind] ?? []).includes(p.kind));
    if (port) out.set(b.type, port.name);
  }
  return out;
}

export function useQuickAdd(opts: {
  rf: Pick<ReactFlowInstance, "screenToFlowPosition">;
  canvasRef: RefObject<HTMLDivElement | null>;
  catalog: Catalog;
  specs: Map<string, BlockSpec>;
  ports: G.PortLookup;
  graphRef: RefObject<GraphDoc>;
  commit: (fn: (g: GraphDoc) => GraphDoc) => void;
  onAdded: (id: string, type: string) => void;
}) {
  const { rf, canvasRef, catalog, specs, ports, graphRef, commit, onAdded } = opts;
  const [search, setSearch] = useState<(SearchAt & { pending?: Pending }) | null>(null);

  const openAt = useCallback((clientX: number, clientY: number, extra: Partial<SearchAt> & { pending?: Pending } = {}) => {
    const box = canvasRef.current?.getBoundingClientRect();
    if (!box) return;
    setSearch({
      x: Math.max(4, Math.min(box.width - 330, clientX - box.left)),
      y: Math.max(4, Math.min(box.height - 300, clientY - box.top)),
      flow: rf.screenToFlowPosition({ x: clientX, y: clientY }),
      ...extra,
    });
  }, [rf, canvasRef]);

  const onDoubleClick = useCallback((e: React.MouseEvent) => {
    if (!(e.target as Element).classList?.contains("react-flow__pane")) return;
    openAt(e.clientX, e.clientY);
  }, [openAt]);

  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid || state.toHandle || state.toNode || !state.fromHandle || !state.fromNode) return;
    const side = state.fromHandle.type;
    const node = graphRef.current.nodes.find((n) => n.id === state.fromNode!.id);
    if (!node || !state.fromHandle.id) return;
    const p = ports(node);
    const port = (side === "source" ? p.outputs : p.inputs).find((x) => x.name === state.fromHandle!.id);
    if (!port) return;
    const fits = compatibleBlocks(catalog, port.kind, side);
    const pt = "changedTouches" in event ? event.changedTouches[0] : event;
    openAt(pt.clientX, pt.clientY, {
      only: new Set(fits.keys()),
      hint: side === "source" ? `blocks taking ${node.id}.${port.name} (${port.kind})` : `blocks feeding ${node.id}.${port.name} (${port.kind})`,
      pending: { node: node.id, port: port.name, side, kind: port.kind },
    });
  }, [catalog, ports, graphRef, openAt]);

  const pick = useCallback((type: string) => {
    const s = search;
    const spec = specs.get(type);
    setSearch(null);
    if (!s || !spec) return;
    let id = "";
    commit((g) => {
      const r = G.addNode(g, spec, [Math.round(s.flow.x), Math.round(s.flow.y)]);
      id = r.id;
      const pend = s.pending;
      if (!pend) return r.graph;
      const fit = compatibleBlocks(catalog, pend.kind, pend.side).get(type);
      if (!fit) return r.graph;
      const e: EdgeDoc = pend.side === "source"
        ? { source: pend.node, source_port: pend.port, target: r.id, target_port: fit }
        : { source: r.id, source_port: fit, target: pend.node, target_port: pend.port };
      // an input that already has a wire keeps it: the new block arrives unconnected
      if (pend.side === "target" && g.edges.some((x) => x.target === pend.node && x.target_port === pend.port)) return r.graph;
      return G.connect(r.graph, e);
    });
    if (id) onAdded(id, type);
  }, [search, specs, catalog, commit, onAdded]);

  return { search, setSearch, openAt, onDoubleClick, onConnectEnd, pick };
}
