// The React Flow projection of the graph at the current path: node and edge objects built
// from the document, the catalog and the kernel's analysis, reused when nothing they show
// has changed (the memoized BlockNode then skips rendering: an edit re-renders one node,
// not the whole canvas), plus React Flow's own copies (selection, measured sizes).
import { useEffect, useMemo, useRef, useState } from "react";
import { useUpdateNodeInternals, type Edge } from "@xyflow/react";
import type { BlockSpec, Catalog, GraphDoc, GraphErrorInfo, PortSpec, Shapes } from "../types";
import * as G from "../graph";
import { shapeText, type BlockFlowNode } from "../components/BlockNode";
import type { EdgeData } from "../components/MarkedEdge";
import type { TrainingView } from "../trainingView";

const NO_COLOURS: Record<string, string> = {};

/** The handles a node draws: its port names, in order, per side. */
function handleKey(p: { inputs: { name: string }[]; outputs: { name: string }[] }): string {
  return p.inputs.map((x) => x.name).join(",") + "|" + p.outputs.map((x) => x.name).join(",");
}

const NO_LIVE: Record<string, string> = {};

/** `out`, or the array kept in `last` when it holds the very same elements: every node or
 * edge as before gives the same array, so React Flow's store sees no change at all. */
function sameIfUnchanged<T>(last: { current: T[] }, out: T[]): T[] {
  const prev = last.current;
  if (prev.length === out.length && out.every((x, i) => x === prev[i])) return prev;
  last.current = out;
  return out;
}

/** React Flow's copy (`prev`) brought up to `next`: its own object (measured size,
 * selection) is kept where `same` says our data did not change, and a changed one stays
 * selected if it was. */
function keepFlowState<T extends { id: string; selected?: boolean }>(prev: T[], next: T[], same: (before: T, now: T) => boolean): T[] {
  const sel = new Set(prev.filter((x) => x.selected).map((x) => x.id));
  const before = new Map(prev.map((x) => [x.id, x]));
  return next.map((x) => {
    const b = before.get(x.id);
    if (b && same(b, x)) return b;
    return sel.has(x.id) ? { ...x, selected: true } : x;
  });
}

export interface FlowInputs {
  graph: GraphDoc;
  path: G.GraphPath;
  catalog: Catalog;
  specs: Map<string, BlockSpec>;
  ports: G.PortLookup;
  shapes: Shapes;
  formulas: Record<string, string[]>;
  /** node path -> a live readout of the run on that node (the Optimizer's lr) */
  live?: Record<string, string>;
  errorsAt: Map<string, GraphErrorInfo[]>;
  /** above this many nodes edges carry no shape labels */
  large: boolean;
  onEnter: (id: string, body: string) => void;
  /** what the run shows on this graph (the top graph only: the kernel reports top-level nodes) */
  view: TrainingView | null;
  /** per-node statistics badges on */
  showStats: boolean;
}

export function useFlowGraph(inp: FlowInputs) {
  const { graph, path, catalog, specs, ports, shapes, formulas, errorsAt, large, onEnter, view, showStats } = inp;
  const live = inp.live ?? NO_LIVE;
  const kindColours = catalog.kind_colours ?? NO_COLOURS;

  const dataCache = useRef(new Map<string, { key: string; node: BlockFlowNode }>());
  const nodeArray = useRef<BlockFlowNode[]>([]);
  const handlesChanged = useRef(new Set<string>());
  const flowNodes = useMemo<BlockFlowNode[]>(() => {
    const prev = dataCache.current;
    const next = new Map<string, { key: string; node: BlockFlowNode }>();
    const out = graph.nodes.map((n) => {
      const p = ports(n);
      const had = prev.get(n.id)?.node.data;
      if (had && handleKey(had) !== handleKey(p)) handlesChanged.current.add(n.id);
      const at = G.nodePath(path, n.id);
      const sh = shapes[at] ?? {};
      const errs = errorsAt.get(n.id) ?? [];
      const spec = specs.get(n.type);
      const look = spec ? catalog.categories?.[spec.category] : undefined;
      const formula = formulas[at];
      const liveText = live[at];
      const noGrad = view?.noGrad[n.id];
      const stats = showStats ? view?.stats[n.id] : undefined;
      const links = path.length ? undefined : view?.links[n.id];
      const key = JSON.stringify([p, sh, errs, spec?.type, path.length, formula, look, liveText, noGrad, stats, links]);
      const old = prev.get(n.id);
      if (old && old.key === key && old.node.data.node === n && old.node.data.spec === spec && old.node.data.kindColours === kindColours) {
        next.set(n.id, old);
        return old.node;
      }
      const node: BlockFlowNode = {
        id: n.id,
        type: "block",
        position: { x: n.position[0], y: n.position[1] },
        data: {
          node: n, spec, look, kindColours, inputs: p.inputs, outputs: p.outputs, formula,
          shapes: Object.fromEntries(Object.entries(sh).map(([k, v]) => [k, shapeText(v)])),
          errors: errs, onEnter, live: liveText, noGrad, stats, links,
        },
      };
      next.set(n.id, { key, node });
      return node;
    });
    dataCache.current = next;
    return sameIfUnchanged(nodeArray, out);
  }, [graph, ports, shapes, formulas, live, path, specs, errorsAt, onEnter, catalog, kindColours, view, showStats]);

  // React Flow measures a node's handles when it mounts or resizes. Ports that change while
  // the node keeps its size (the catalog or the kernel's ports arriving after the document,
  // a param that renames ports) leave it with stale handle positions: edges to the new
  // handles are not drawn and connections to them fail. Tell it to measure those again.
  const updateNodeInternals = useUpdateNodeInternals();
  useEffect(() => {
    if (!handlesChanged.current.size) return;
    const ids = [...handlesChanged.current];
    handlesChanged.current.clear();
    updateNodeInternals(ids);
  }, [flowNodes, updateNodeInternals]);

  // React Flow's own copy of the nodes (measured sizes, selection), brought up to date with
  // flowNodes after each render that changed them.
  const [rfNodes, setRfNodes] = useState<BlockFlowNode[]>(flowNodes);
  useEffect(() => {
    setRfNodes((prev) => keepFlowState(prev, flowNodes,
      (b, n) => b.data === n.data && b.position.x === n.position.x && b.position.y === n.position.y));
  }, [flowNodes]);

  const edgeCache = useRef(new Map<string, Edge>());
  const edgeArray = useRef<Edge[]>([]);
  const flowEdges = useMemo<Edge[]>(() => {
    const prev = edgeCache.current;
    const next = new Map<string, Edge>();
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const out = graph.edges.map((e) => {
      const sh = shapes[G.nodePath(path, e.source)]?.[e.source_port];
      const id = G.edgeKey(e);
      const label = !large && sh ? shapeText(sh) : undefined;
      const src = byId.get(e.source);
      const kind = src ? ports(src).outputs.find((p: PortSpec) => p.name === e.source_port)?.kind : undefined;
      const stroke = kind ? kindColours[kind] : undefined;
      const detached = view?.detached[id];
      const probe = view?.probes[id];
      const old = prev.get(id);
      const od = old?.data as EdgeData | undefined;
      // same object when unchanged: edge labels are measured (getBBox) on every render
      const edge: Edge = old && old.label === label && old.style?.stroke === stroke && od?.detached === detached && od?.probe === probe ? old : {
        id, source: e.source, target: e.target, sourceHandle: e.source_port, targetHandle: e.target_port, label,
        // the colour only: widths come from styles.css (.dw-kind, .dw-edge-detached), scaled
        // there so that a wire stays visible at every zoom (WireScale.tsx); a detached wire
        // is dashed (and thicker, so the dashes read at any zoom)
        style: detached ? { stroke: stroke ?? "#888", strokeDasharray: "8 5" } : stroke ? { stroke } : undefined,
        data: { kind, detached, probe } satisfies EdgeData,
        className: [stroke ? "dw-kind" : "", detached ? "dw-edge-detached" : probe ? "dw-edge-probed" : ""].filter(Boolean).join(" ") || undefined,
        ...(detached || probe ? { type: "marked" } : {}),
      };
      next.set(id, edge);
      return edge;
    });
    edgeCache.current = next;
    return sameIfUnchanged(edgeArray, out);
  }, [graph, shapes, path, large, ports, kindColours, view]);
  const [rfEdges, setRfEdges] = useState<Edge[]>(flowEdges);
  useEffect(() => {
    setRfEdges((prev) => keepFlowState(prev, flowEdges,
      (b, e) => b.label === e.label && b.style === e.style && b.data === e.data));
  }, [flowEdges]);

  return { rfNodes, setRfNodes, rfEdges, setRfEdges };
}
