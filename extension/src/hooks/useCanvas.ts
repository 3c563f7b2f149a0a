// The canvas's React Flow side: the document at the current path projected into nodes and
// edges (useFlowGraph, with the kernel's problems and the run's readouts on them), the
// frames around them (useFrames), React Flow's changes taken back (a drag stop is one
// edit), the selection, and rendering only what is visible when zoomed in on a large graph.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { applyEdgeChanges, applyNodeChanges, useReactFlow, type Edge, type EdgeChange, type NodeChange, type Viewport } from "@xyflow/react";
import type { BlockSpec, Catalog, GraphDoc, GraphErrorInfo, RunStatus } from "../types";
import { useStatusPick } from "./useStatus";
import * as G from "../graph";
import { exact } from "../plot/format";
import type { TrainingView } from "../trainingView";
import { useFlowGraph } from "./useFlowGraph";
import { isFrameId, useFrames, type FlowNode } from "./useFrames";
import type { Analysis } from "./useKernel";
import type { Commit } from "./useDocument";
import type { Transport } from "../transport";

/** What the canvas shows of the run's status: the running Optimizer node's lr. */
type RunLr = Pick<RunStatus, "optimizer" | "state" | "lr">;
const pickLr = (s: RunStatus): RunLr => ({ optimizer: s.optimizer, state: s.state, lr: s.lr });
const sameLr = (a: RunLr, b: RunLr) => a.optimizer === b.optimizer && a.state === b.state && a.lr === b.lr;

const LARGE = 300; // above this many nodes: no minimap, no edge labels
const VISIBLE_ONLY_ZOOM = 0.6; // render only visible elements when zoomed in this far
const VISIBLE_ONLY_NODES = 200; // ... on a graph of more nodes than this
const SELECT_WAIT_MS = 2000; // how long a selection waits for its nodes to be drawn

export interface CanvasInputs {
  /** the top document (frames live in its `meta`) and the graph at `path` */
  doc: GraphDoc;
  graph: GraphDoc;
  path: G.GraphPath;
  catalog: Catalog;
  specs: Map<string, BlockSpec>;
  ports: G.PortLookup;
  analysis: Analysis;
  /** the run's status: the canvas shows its learning rate on the running Optimizer node */
  transport: Transport;
  training: { view: TrainingView; showStats: boolean };
  commit: Commit;
  onEnter: (id: string, body: string) => void;
}

export function useCanvas(inp: CanvasInputs) {
  const { doc, graph, path, catalog, specs, ports, analysis, transport, training, commit, onEnter } = inp;
  const status = useStatusPick(transport, pickLr, sameLr);
  const rf = useReactFlow();

  const errorsAt = useMemo(() => {
    const m = new Map<string, GraphErrorInfo[]>();
    for (const e of analysis.errors) {
      if (!e.node) continue;
      // an error inside a body shows on the enclosing node at this level too
      for (const n of graph.nodes) {
        const p = G.nodePath(path, n.id);
        if (e.node === p || e.node.startsWith(p + "/")) m.set(n.id, [...(m.get(n.id) ?? []), e.node === p ? e : { ...e, port: null }]);
      }
    }
    return m;
  }, [analysis.errors, graph, path]);

  const large = graph.nodes.length > LARGE;
  // the running phase's Optimizer node shows the learning rate in use (after a `set` too)
  const liveOnNodes = useMemo(() => {
    const on = status.optimizer && ["running", "paused", "idle"].includes(status.state) && status.lr !== null;
    return on && !path.length ? { [status.optimizer as string]: `live lr ${exact(status.lr)}` } : undefined;
  }, [status.optimizer, status.state, status.lr, path.length]);
  const { rfNodes, setRfNodes, rfEdges, setRfEdges } = useFlowGraph({
    graph, path, catalog, specs, ports, shapes: analysis.shapes, formulas: analysis.formulas, live: liveOnNodes, errorsAt, large, onEnter,
    view: path.length ? null : training.view, showStats: training.showStats,
  });

  /** Node sizes as React Flow measured them (frames and layout need them). */
  const sizesNow = useCallback(() => {
    const out: Record<string, { width: number; height: number }> = {};
    for (const n of rf.getNodes()) if (n.measured?.width && !isFrameId(n.id)) out[n.id] = { width: n.measured.width, height: n.measured.height ?? 80 };
    return out;
  }, [rf]);
  const frames = useFrames({ graph: doc, atTop: path.length === 0, commit, sizes: sizesNow });
  const nodes = useMemo<FlowNode[]>(() => (frames.frameNodes.length ? [...frames.frameNodes, ...rfNodes] : rfNodes), [frames.frameNodes, rfNodes]);

  const { split: splitFrameChanges } = frames;
  const onNodesChange = useCallback((all: NodeChange<FlowNode>[]) => {
    const changes = splitFrameChanges(all);
    setRfNodes((ns) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), ns));
    const moves: Record<string, [number, number]> = {};
    for (const c of changes) if (c.type === "position" && c.dragging === false && c.position) moves[c.id] = [c.position.x, c.position.y];
    if (Object.keys(moves).length) commit((g) => G.moveNodes(g, moves));
  }, [commit, splitFrameChanges, setRfNodes]);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setRfEdges((es) => applyEdgeChanges(changes.filter((c) => c.type !== "remove"), es));
  }, [setRfEdges]);

  const selectedIds = useMemo(() => rfNodes.filter((n) => n.selected).map((n) => n.id), [rfNodes]);
  const selectedEdges = useCallback(() => rfEdges.filter((e) => e.selected).map((e) => e.id), [rfEdges]);
  // A selection asked for before its nodes are drawn (an edit's new nodes, a kernel's
  // answer) is applied once they are, within a moment.
  const wanted = useRef<{ ids: string[]; until: number } | null>(null);
  const selectOnly = useCallback((ids: string[]) => {
    const s = new Set(ids);
    wanted.current = { ids, until: performance.now() + SELECT_WAIT_MS };
    setRfNodes((ns) => ns.map((n) => ({ ...n, selected: s.has(n.id) })));
  }, [setRfNodes]);
  useEffect(() => {
    const w = wanted.current;
    if (!w) return;
    if (performance.now() > w.until) { wanted.current = null; return; }
    const byId = new Map(rfNodes.map((n) => [n.id, n]));
    if (!w.ids.every((id) => byId.has(id))) return;
    wanted.current = null;
    const s = new Set(w.ids);
    if (rfNodes.some((n) => !!n.selected !== s.has(n.id))) setRfNodes((ns) => ns.map((n) => ({ ...n, selected: s.has(n.id) })));
  }, [rfNodes, setRfNodes]);

  const [visibleOnly, setVisibleOnly] = useState(false);
  const nodeCount = useRef(0);
  nodeCount.current = graph.nodes.length;
  const onMove = useCallback((_: unknown, vp: Viewport) => {
    const want = nodeCount.current > VISIBLE_ONLY_NODES && vp.zoom >= VISIBLE_ONLY_ZOOM;
    setVisibleOnly((v) => (v === want ? v : want));
  }, []);

  return {
    nodes, edges: rfEdges as Edge[], onNodesChange, onEdgesChange, errorsAt, large, visibleOnly, onMove,
    selectedIds, selectedEdges, selectOnly, sizesNow, frames,
  };
}
