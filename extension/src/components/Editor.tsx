// The editor: canvas, palette, inspector and live panel over a Transport. State is the
// document (with its undo history) plus what the kernel said about it; React Flow's
// own node list only carries selection and in-flight drag positions.
import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, applyEdgeChanges, applyNodeChanges,
  useReactFlow, type Connection, type Edge, type ReactFlowInstance, type EdgeChange, type NodeChange, type Viewport,
  type FinalConnectionState,
} from "@xyflow/react";
import type { Transport } from "../transport";
import type { Catalog, EdgeDoc, GraphDoc, GraphErrorInfo, KernelEvent, PortsByNode, RunStatus, Shapes } from "../types";
import * as G from "../graph";
import * as H from "../history";
import { stableStringify } from "../stable";
import { exact } from "../plot/format";
import { BlockNode, type BlockFlowNode } from "./BlockNode";
import { DRAG_TYPE, Palette } from "./Palette";
import { Inspector } from "./Inspector";
import { Legend } from "./Legend";
import { Refusal, type RefusalInfo } from "./Refusal";
import { BlockSearch, firstLine } from "./BlockSearch";
import { ContextMenu, type MenuAt } from "./ContextMenu";
import { useQuickAdd } from "../hooks/useQuickAdd";
import { ZoomProbe } from "./ZoomProbe";
import { useFlowGraph } from "../hooks/useFlowGraph";
import { BODY_MIN_ZOOM, FAR_READABLE_ZOOM, viewportFor } from "../zoom";
import { WorkbenchPanel } from "./WorkbenchPanel";
import { MarkedEdge } from "./MarkedEdge";
import { useTrainingView } from "../hooks/useTrainingView";
import { FrameNode } from "./FrameNode";
import { isFrameId, useFrames, type FlowNode } from "../hooks/useFrames";

const nodeTypes = { block: BlockNode, frame: FrameNode };
const edgeTypes = { marked: MarkedEdge };
// the live panel and the layout code load when first needed
const LivePanel = lazy(() => import("./LivePanel").then((m) => ({ default: m.LivePanel })));
const NO_COLOURS: Record<string, string> = {};
const LARGE = 300; // above this many nodes: no minimap, no edge labels
const VISIBLE_ONLY_ZOOM = 0.6; // render only visible elements when zoomed in this far

interface Analysis { errors: GraphErrorInfo[]; shapes: Shapes; ports: PortsByNode; formulas: Record<string, string[]>; ms: number }
const NO_ANALYSIS: Analysis = { errors: [], shapes: {}, ports: {}, formulas: {}, ms: 0 };

export interface EditorProps {
  transport: Transport;
  height?: string;
  /** Hide the live panel (benchmarks, read-only views). */
  live?: boolean;
  /** Called with React Flow's instance once the canvas is ready (hosts, benchmarks). */
  onInit?: (instance: ReactFlowInstance<FlowNode, Edge>) => void;
}

export function Editor(props: EditorProps) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

const FIT = { padding: 0.15, maxZoom: 1.2 };
// A body opens with full node detail, fitted when it is small enough to fit at that zoom.
const FIT_BODY = { padding: 0.15, maxZoom: 1.2, minZoom: BODY_MIN_ZOOM };
// After auto-layout: the whole graph when its labels stay readable, else its middle at a
// zoom where the simplified nodes can be read (pan or press F to see all).
const FIT_LAYOUT = { padding: 0.1, maxZoom: 1.2, minZoom: FAR_READABLE_ZOOM * 1.6 };
// Props of <ReactFlow> are kept the same objects between renders: React Flow hands the
// handlers to every node wrapper, and a new function each render re-renders all of them.
const MULTI_SELECT = ["Shift", "Meta", "Control"];
const PRO_OPTIONS = { hideAttribution: true };

/** A performance mark for the round-trip benchmark; only the latest of each name is kept. */
function mark(name: string) {
  performance.clearMarks(name);
  performance.mark(name);
}

function guessViewport(g: GraphDoc): Viewport {
  if (!g.nodes.length) return { x: 0, y: 0, zoom: 1 };
  const xs = g.nodes.map((n) => n.position[0]);
  const ys = g.nodes.map((n) => n.position[1]);
  const w = Math.max(...xs) - Math.min(...xs) + 200;
  const h = Math.max(...ys) - Math.min(...ys) + 120;
  const zoom = Math.min(1, 800 / w, 500 / h);
  return { x: -Math.min(...xs) * zoom, y: -Math.min(...ys) * zoom, zoom };
}

function isTextInput(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

function EditorInner({ transport, height = "600px", live = true, onInit }: EditorProps) {
  const rf = useReactFlow();
  const rootRef = useRef<HTMLDivElement>(null);
  const [catalog, setCatalog] = useState<Catalog>(() => transport.readCatalog());
  const [hist, setHist] = useState(() => H.start(transport.readGraph()));
  const histRef = useRef(hist);
  histRef.current = hist;
  const [path, setPath] = useState<G.GraphPath>([]);
  const [analysis, setAnalysis] = useState<Analysis>(NO_ANALYSIS);
  const [status, setStatus] = useState<RunStatus>(() => transport.readStatus());
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const refusalTimer = useRef<number>(0);
  const clipboard = useRef<G.Clip | null>(null);
  const [visibleOnly, setVisibleOnly] = useState(false);
  // Start near the fitted view, so a large graph renders once in its zoomed-out form
  // instead of in full at zoom 1 and again after fitView.
  const [initialViewport] = useState(() => guessViewport(G.graphAt(transport.readGraph(), [])));

  const doc = hist.present;
  const graph = useMemo(() => G.graphAt(doc, path), [doc, path]);
  const specs = useMemo(() => new Map(catalog.blocks.map((b) => [b.type, b])), [catalog]);

  useEffect(() => transport.onCatalog(setCatalog), [transport]);
  useEffect(() => transport.onStatus(setStatus), [transport]);
  useEffect(() => transport.onGraph((incoming) => {
    // our own writes come back as change events too: same object, nothing to do
    if (incoming === histRef.current.present) return;
    if (stableStringify(incoming) === stableStringify(histRef.current.present)) return;
    // the ref first: an edit handled before React renders must build on the pushed document
    const nh = H.replace(histRef.current, incoming);
    histRef.current = nh;
    setHist(nh);
  }), [transport]);
  useEffect(() => transport.onEvent((ev: KernelEvent) => {
    if (ev.event === "analysis") {
      mark("dw-analysis");
      // Downstream of an error the kernel cannot infer shapes: keep showing the last known
      // ones there (the error badge says what is wrong) rather than blanking the canvas.
      const failed = ev.errors.some((e) => e.severity === "error");
      setAnalysis((a) => ({
        errors: ev.errors, ports: ev.ports, ms: ev.ms, formulas: ev.formulas ?? {},
        shapes: failed ? { ...a.shapes, ...ev.shapes } : ev.shapes,
      }));
    }
  }), [transport]);
  // Ask for a first analysis once the editor listens for it: the view may open long after
  // the model was created, and an answer to a request sent before this effect ran is lost.
  useEffect(() => transport.send({ cmd: "validate" }), [transport]);

  // An editor command can remove the focused element (the node that was grouped, deleted
  // or undone): focus then falls to the page and JupyterLab takes the next key. After each
  // command's render, focus comes back to the editor unless it is still inside it.
  const refocus = useRef(false);
  const keepFocus = useCallback(() => {
    const root = rootRef.current;
    if (root && !root.contains(document.activeElement)) root.focus({ preventScroll: true });
  }, []);
  // React Flow removes a node's element a render or two after the document changes: watch
  // a few frames, and take focus back only if it fell to the page (not if a person moved it).
  const recoverFocus = useCallback(() => {
    let n = 0;
    const tick = () => {
      const a = document.activeElement;
      if (!a || a === document.body) rootRef.current?.focus({ preventScroll: true });
      if (++n < 6) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, []);

  /** Commit an edit of the graph at the current path: one undo step, one write. */
  const commit = useCallback((fn: (g: GraphDoc) => GraphDoc) => {
    const h = histRef.current;
    const next = G.updateAt(h.present, path, fn);
    if (next === h.present) return;
    const nh = H.push(h, next);
    histRef.current = nh;
    setHist(nh);
    mark("dw-commit");
    transport.writeGraph(next);
    mark("dw-written");
    refocus.current = true;
  }, [path, transport]);

  const travel = useCallback((fn: (h: H.History<GraphDoc>) => H.History<GraphDoc>) => {
    const nh = fn(histRef.current);
    if (nh === histRef.current) return;
    histRef.current = nh;
    setHist(nh);
    transport.writeGraph(nh.present);
    refocus.current = true;
  }, [transport]);

  const ports: G.PortLookup = useMemo(() => {
    const fallback = G.catalogPorts(catalog);
    return (n) => analysis.ports[G.nodePath(path, n.id)] ?? fallback(n);
  }, [catalog, analysis.ports, path]);

  const enter = useCallback((id: string, body: string) => setPath((p) => [...p, { node: id, body }]), []);
  // entering or leaving a body shows all of the graph there
  const firstPath = useRef(true);
  useEffect(() => {
    if (firstPath.current) { firstPath.current = false; return; }
    const t = window.setTimeout(() => void rf.fitView(path.length ? FIT_BODY : FIT), 50);
    return () => window.clearTimeout(t);
  }, [path, rf]);

  // -- nodes and edges for React Flow ------------------------------------------------

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
  const training = useTrainingView(transport, doc);
  const { rfNodes, setRfNodes, rfEdges, setRfEdges } = useFlowGraph({
    graph, path, catalog, specs, ports, shapes: analysis.shapes, formulas: analysis.formulas, live: liveOnNodes, errorsAt, large, onEnter: enter,
    view: path.length ? null : training.view, showStats: training.showStats,
  });
  const sizesNow = useCallback(() => {
    const out: Record<string, { width: number; height: number }> = {};
    for (const n of rf.getNodes()) if (n.measured?.width && !isFrameId(n.id)) out[n.id] = { width: n.measured.width, height: n.measured.height ?? 80 };
    return out;
  }, [rf]);
  const frames = useFrames({ graph: doc, atTop: path.length === 0, commit, sizes: sizesNow });
  const allNodes = useMemo<FlowNode[]>(() => (frames.frameNodes.length ? [...frames.frameNodes, ...rfNodes] : rfNodes), [frames.frameNodes, rfNodes]);
  useEffect(() => {
    if (!refocus.current) return;
    refocus.current = false;
    recoverFocus();
  }, [allNodes, rfEdges, recoverFocus]);

  const { split: splitFrameChanges, frameAround, removeFrames, selectedFrames } = frames;
  const onNodesChange = useCallback((all: NodeChange<FlowNode>[]) => {
    const changes = splitFrameChanges(all);
    setRfNodes((ns) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), ns));
    const moves: Record<string, [number, number]> = {};
    for (const c of changes) if (c.type === "position" && c.dragging === false && c.position) moves[c.id] = [c.position.x, c.position.y];
    if (Object.keys(moves).length) commit((g) => G.moveNodes(g, moves));
  }, [commit, splitFrameChanges]);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setRfEdges((es) => applyEdgeChanges(changes.filter((c) => c.type !== "remove"), es));
  }, []);

  const onDelete = useCallback(({ nodes, edges }: { nodes: { id: string }[]; edges: { id: string }[] }) => {
    commit((g) => G.removeEdges(G.removeNodes(g, nodes.map((n) => n.id)), edges.map((e) => e.id)));
    // the focused node is gone: keep keyboard focus in the editor, not JupyterLab
    rootRef.current?.focus({ preventScroll: true });
  }, [commit]);

  // -- connecting ------------------------------------------------------------------

  const toEdge = (c: Connection | Edge): EdgeDoc => ({
    source: c.source, source_port: c.sourceHandle ?? "", target: c.target, target_port: c.targetHandle ?? "",
  });
  const canvasRef = useRef<HTMLDivElement>(null);
  /** Where a port's handle is, in the canvas element's pixels (the refusal sits beside it). */
  const portAt = useCallback((node: string, port: string) => {
    const box = canvasRef.current?.getBoundingClientRect();
    const h = canvasRef.current?.querySelector(`.react-flow__node[data-id="${CSS.escape(node)}"] .react-flow__handle.target[data-handleid="${CSS.escape(port)}"]`);
    const r = h?.getBoundingClientRect();
    if (!box || !r) return { x: 12, y: 12 };
    const W = 360, H = 90; // the box's largest size (styles.css .dw-refusal)
    const x = r.right - box.left + 10, y = r.top - box.top - 12;
    // beside the port when there is room, else just below it
    if (x + W <= box.width) return { x, y: Math.max(4, Math.min(box.height - H, y)) };
    return { x: Math.max(4, Math.min(box.width - W - 4, r.left - box.left - 20)), y: Math.min(box.height - H, r.bottom - box.top + 8) };
  }, []);
  const refuse = useCallback((info: RefusalInfo | null, linger = 0) => {
    window.clearTimeout(refusalTimer.current);
    setRefusal((r) => (r && info && r.reason === info.reason && G.edgeKey(r.edge) === G.edgeKey(info.edge) ? r : info));
    if (linger && info) refusalTimer.current = window.setTimeout(() => setRefusal(null), linger);
  }, []);
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const shapeOf = useCallback(
    (node: string, port: string) => analysis.shapes[G.nodePath(path, node)]?.[port],
    [analysis.shapes, path],
  );
  const check = useCallback((e: EdgeDoc): RefusalInfo | null => {
    const c = G.canConnect(graphRef.current, catalog, ports, e, shapeOf);
    if (c.ok) return null;
    return { edge: e, reason: c.reason, fix: G.shapeFix(graphRef.current, catalog, ports, e, shapeOf), at: portAt(e.target, e.target_port) };
  }, [catalog, ports, shapeOf, portAt]);
  const isValidConnection = useCallback((c: Connection | Edge) => {
    const r = check(toEdge(c));
    refuse(r);
    return !r;
  }, [check, refuse]);
  const onConnect = useCallback((c: Connection) => {
    const e = toEdge(c);
    const r = check(e);
    if (r) return refuse(r, r.fix ? 10000 : 5000);
    refuse(null);
    commit((g) => G.connect(g, e));
  }, [check, commit, refuse]);
  const lingerRefusal = useCallback(() => {
    setRefusal((r) => {
      if (r) { window.clearTimeout(refusalTimer.current); refusalTimer.current = window.setTimeout(() => setRefusal(null), r.fix ? 10000 : 5000); }
      return r;
    });
  }, []);
  const acceptFix = useCallback((auto: boolean) => {
    const r = refusal;
    if (!r?.fix) return;
    const fix = r.fix;
    refuse(null);
    commit((g) => G.applyFix(g, fix, r.edge, auto));
  }, [refusal, refuse, commit]);

  // -- palette, clipboard, layout, keys -------------------------------------------------

  const [recent, setRecent] = useState<string[]>([]);
  const noteUsed = useCallback((type: string) => setRecent((r) => [type, ...r.filter((t) => t !== type)].slice(0, 8)), []);
  const addBlock = useCallback((type: string, at?: { x: number; y: number }) => {
    const spec = specs.get(type);
    if (!spec) return;
    noteUsed(type);
    const el = rootRef.current?.querySelector(".react-flow");
    const r = el?.getBoundingClientRect();
    const pos = at ?? rf.screenToFlowPosition({ x: (r?.left ?? 0) + (r?.width ?? 400) / 2, y: (r?.top ?? 0) + (r?.height ?? 300) / 2 });
    commit((g) => G.addNode(g, spec, [Math.round(pos.x), Math.round(pos.y)]).graph);
  }, [specs, rf, commit, noteUsed]);

  const onDrop = useCallback((e: React.DragEvent) => {
    const type = e.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    e.preventDefault();
    addBlock(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  }, [addBlock, rf]);

  const selectedIds = useMemo(() => rfNodes.filter((n) => n.selected).map((n) => n.id), [rfNodes]);
  const selectOnly = (ids: string[]) => {
    const s = new Set(ids);
    setRfNodes((ns) => ns.map((n) => ({ ...n, selected: s.has(n.id) })));
  };

  const runLayout = useCallback(async () => {
    const sizes: Record<string, { width: number; height: number }> = {};
    for (const n of rf.getNodes()) if (n.measured?.width) sizes[n.id] = { width: n.measured.width, height: n.measured.height ?? 80 };
    const { layout } = await import("../layout");
    const pos = await layout(graphRef.current, sizes, transport);
    commit((g) => G.moveNodes(g, pos));
    // the viewport from the new positions themselves: React Flow may not have them yet
    const ids = Object.keys(pos);
    const view = canvasRef.current?.getBoundingClientRect();
    if (!ids.length || !view) return;
    const x0 = Math.min(...ids.map((id) => pos[id][0])), y0 = Math.min(...ids.map((id) => pos[id][1]));
    const x1 = Math.max(...ids.map((id) => pos[id][0] + (sizes[id]?.width ?? 180)));
    const y1 = Math.max(...ids.map((id) => pos[id][1] + (sizes[id]?.height ?? 80)));
    void rf.setViewport(viewportFor({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, view, FIT_LAYOUT.minZoom));
  }, [rf, commit, transport]);

  // Group the selection into a new Group body / dissolve the selected groups: one undo step each.
  const groupIds = useCallback((sel: string[]) => {
    let id: string | null = null;
    commit((g) => { const r = G.groupSelection(g, sel); id = r?.id ?? null; return r ? r.graph : g; });
    window.setTimeout(() => { if (id) selectOnly([id]); }, 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [commit]);
  const ungroupIds = useCallback((sel: string[]) => {
    let ids: string[] = [];
    commit((g) => {
      let out = g;
      for (const id of sel) { const r = G.ungroup(out, id); if (r) { out = r.graph; ids = [...ids, ...r.ids]; } }
      return out;
    });
    window.setTimeout(() => { if (ids.length) selectOnly(ids); }, 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [commit]);
  const groupSelected = useCallback(() => groupIds(selectedIds), [groupIds, selectedIds]);
  const ungroupSelected = useCallback(() => ungroupIds(selectedIds), [ungroupIds, selectedIds]);
  const pasteClip = useCallback(() => {
    const clip = clipboard.current;
    if (!clip) return;
    let ids: string[] = [];
    commit((g) => { const r = G.paste(g, clip); ids = r.ids; return r.graph; });
    window.setTimeout(() => selectOnly(ids), 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [commit]);

  const quick = useQuickAdd({
    rf, canvasRef, catalog, specs, ports, graphRef, commit,
    onAdded: (id, type) => { noteUsed(type); window.setTimeout(() => selectOnly([id]), 0); },
  });
  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    lingerRefusal();
    if (!state.isValid && !state.toHandle) { refuse(null); quick.onConnectEnd(event, state); }
  }, [lingerRefusal, refuse, quick]);

  // -- right-click menus ---------------------------------------------------------------
  const [menu, setMenu] = useState<MenuAt | null>(null);
  const [help, setHelp] = useState<string | null>(null);
  const menuAt = (e: React.MouseEvent | MouseEvent) => {
    const box = canvasRef.current?.getBoundingClientRect();
    return { x: e.clientX - (box?.left ?? 0), y: e.clientY - (box?.top ?? 0) };
  };
  const onNodeContextMenu = useCallback((e: React.MouseEvent, node: FlowNode) => {
    e.preventDefault();
    if (node.type === "frame") {
      const f = node.data.frame;
      setMenu({ ...menuAt(e), title: `frame ${f.title || f.id}`, items: [
        { label: "Remove frame", keys: "Del", run: () => removeFrames([f.id]) },
      ] });
      return;
    }
    const n = node as BlockFlowNode;
    const ids = n.selected ? selectedIds : [n.id];
    if (!n.selected) selectOnly([n.id]);
    const spec = n.data.spec;
    const body = spec?.bodies[0];
    setMenu({
      ...menuAt(e), title: ids.length > 1 ? `${ids.length} nodes` : `${n.id} (${n.data.node.type})`, items: [
        { label: `Open ${body ?? "body"}`, disabled: !body, run: () => { if (body) enter(n.id, body); } },
        { label: "Duplicate", keys: "Ctrl+D", run: () => {
          let out: string[] = [];
          commit((g) => { const r = G.duplicate(g, ids); out = r.ids; return r.graph; });
          window.setTimeout(() => selectOnly(out), 0);
        } },
        { label: "Group", keys: "Ctrl+G", run: () => groupIds(ids) },
        { label: "Frame", keys: "Shift+F", disabled: path.length > 0, run: () => frameAround(ids) },
        { label: "Ungroup", keys: "Shift+Ctrl+G", disabled: !ids.some((id) => G.ungroup(graphRef.current, id)), run: () => ungroupIds(ids) },
        { label: "Delete", keys: "Del", run: () => onDelete({ nodes: ids.map((id) => ({ id })), edges: [] }) },
        { label: "Help", disabled: !spec, run: () => setHelp(n.data.node.type) },
      ],
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedIds, enter, commit, onDelete, frameAround, removeFrames, path.length]);
  const { setProbe, isProbed } = training;
  const onEdgeContextMenu = useCallback((e: React.MouseEvent, edge: Edge) => {
    e.preventDefault();
    const doc = graphRef.current.edges.find((x) => G.edgeKey(x) === edge.id);
    const probed = isProbed(edge.id);
    setMenu({
      ...menuAt(e), title: edge.id, items: [
        // probes follow the top graph's nodes (the kernel hooks its compiled modules)
        { label: probed ? "Remove probe" : "Probe", disabled: !doc || path.length > 0, run: () => { if (doc) setProbe(doc, !probed); } },
        { label: "Delete", keys: "Del", run: () => onDelete({ nodes: [], edges: [{ id: edge.id }] }) },
      ],
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [onDelete, isProbed, setProbe, path.length]);
  const onPaneContextMenu = useCallback((e: React.MouseEvent | MouseEvent) => {
    e.preventDefault();
    const { clientX, clientY } = e;
    setMenu({
      ...menuAt(e), title: "canvas", items: [
        { label: "Add block", keys: "double-click", run: () => quick.openAt(clientX, clientY) },
        { label: "Paste", keys: "Ctrl+V", disabled: !clipboard.current, run: () => pasteClip() },
        { label: "Auto-layout", keys: "L", run: () => void runLayout() },
        { label: "Fit view", keys: "F", run: () => void rf.fitView(FIT) },
      ],
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [quick, runLayout, rf]);

  const onKeyDownCapture = useCallback((e: React.KeyboardEvent) => {
    // Keys typed in the editor are ours: tell Lumino (JupyterLab) to leave them alone.
    (e.target as HTMLElement).setAttribute?.("data-lm-suppress-shortcuts", "true");
    if (isTextInput(e.target)) return;
    const mod = e.ctrlKey || e.metaKey;
    const k = e.key.toLowerCase();
    let done = true;
    if (mod && k === "z") travel(e.shiftKey ? H.redo : H.undo);
    else if (mod && k === "y") travel(H.redo);
    else if (mod && k === "c") clipboard.current = G.copyNodes(graphRef.current, selectedIds);
    else if (mod && k === "v" && clipboard.current) pasteClip();
    else if (mod && k === "d") {
      let ids: string[] = [];
      commit((g) => { const r = G.duplicate(g, selectedIds); ids = r.ids; return r.graph; });
      window.setTimeout(() => selectOnly(ids), 0);
    } else if (mod && k === "g") {
      if (e.shiftKey) ungroupSelected(); else groupSelected();
    } else if (!mod && (k === "delete" || k === "backspace")) {
      const edges = rfEdges.filter((x) => x.selected).map((x) => x.id);
      if (selectedIds.length || edges.length) onDelete({ nodes: selectedIds.map((id) => ({ id })), edges: edges.map((id) => ({ id })) });
      else if (selectedFrames.length) removeFrames(selectedFrames);
    } else if (mod && k === "a") selectOnly(graphRef.current.nodes.map((n) => n.id));
    else if (!mod && !e.altKey && e.shiftKey && k === "f") { if (!path.length && selectedIds.length) frameAround(selectedIds); }
    else if (!mod && !e.altKey && k === "f") void rf.fitView(FIT);
    else if (!mod && !e.altKey && k === "l") void runLayout();
    else if (!mod && k === "escape" && path.length) setPath((p) => p.slice(0, -1));
    else done = false;
    if (done) e.preventDefault();
  }, [travel, commit, selectedIds, rfEdges, onDelete, rf, runLayout, path.length, groupSelected, ungroupSelected, pasteClip, frameAround, removeFrames, selectedFrames]);

  const onNodeDoubleClick = useCallback((_: unknown, n: FlowNode) => {
    if (n.type === "frame") return;
    const b = n.data.spec?.bodies[0];
    if (b) enter(n.id, b);
  }, [enter]);

  const closeMenus = useCallback(() => { setMenu(null); }, []);

  const onMove = useCallback((_: unknown, vp: Viewport) => {
    const want = graphRef.current.nodes.length > 200 && vp.zoom >= VISIBLE_ONLY_ZOOM;
    setVisibleOnly((v) => (v === want ? v : want));
  }, []);

  // -- render ----------------------------------------------------------------------

  const single = selectedIds.length === 1 ? graph.nodes.find((n) => n.id === selectedIds[0]) : undefined;
  const nErrors = analysis.errors.filter((e) => e.severity === "error").length;
  const general = analysis.errors.filter((e) => !e.node);
  const crumbs = [{ label: "graph", depth: 0 }, ...path.map((r, i) => ({ label: `${r.node}.${r.body}`, depth: i + 1 }))];

  return (
    <div
      className="dw-root"
      ref={rootRef}
      style={{ height }}
      tabIndex={0}
      data-lm-suppress-shortcuts="true"
      onKeyDownCapture={onKeyDownCapture}
      onPointerDownCapture={(e) => {
        if (!isTextInput(e.target) && !rootRef.current?.contains(document.activeElement)) rootRef.current?.focus({ preventScroll: true });
        // the notebook's own mousedown handler, which runs after ours, focuses the cell:
        // take focus back once the click's handlers are done
        if (!isTextInput(e.target)) window.setTimeout(keepFocus, 0);
      }}
    >
      <Palette catalog={catalog} onAdd={addBlock} recent={recent} />
      <div className="dw-main">
        <div className="dw-toolbar">
          <div className="dw-breadcrumb">
            {crumbs.map((c) => (
              <button key={c.depth} className="dw-crumb" disabled={c.depth === path.length} onClick={() => setPath((p) => p.slice(0, c.depth))}>{c.label}</button>
            ))}
          </div>
          <button title="Undo (Ctrl+Z)" disabled={!H.canUndo(hist)} onClick={() => travel(H.undo)} className="dw-undo">Undo</button>
          <button title="Redo (Shift+Ctrl+Z)" disabled={!H.canRedo(hist)} onClick={() => travel(H.redo)} className="dw-redo">Redo</button>
          <button title="Group the selection into a new body (Ctrl+G)" className="dw-group" disabled={selectedIds.length === 0} onClick={groupSelected}>Group</button>
          <button title="Ungroup the selected group (Shift+Ctrl+G)" className="dw-ungroup"
            disabled={!selectedIds.some((id) => graph.nodes.find((n) => n.id === id)?.type === "Group")} onClick={ungroupSelected}>Ungroup</button>
          <button title="Frame the selection: a titled, coloured frame that moves its nodes (Shift+F)" className="dw-frame-btn"
            disabled={selectedIds.length === 0 || path.length > 0} onClick={() => frameAround(selectedIds)}>Frame</button>
          <button title="Auto-layout (L)" onClick={() => void runLayout()}>Layout</button>
          <button title="Fit (F)" onClick={() => void rf.fitView(FIT)}>Fit</button>
          <button title="Validate" onClick={() => transport.send({ cmd: "validate" })}>Validate</button>
          <button title="Show each node's output mean and std, the gradient norm of its weights and what its block reports, while a run streams"
            className={`dw-stats-toggle${training.showStats ? " dw-on" : ""}`} aria-pressed={training.showStats}
            onClick={() => training.setShowStats((v) => !v)}>Stats</button>
        </div>
        <div className="dw-canvas" ref={canvasRef} onDoubleClick={quick.onDoubleClick}
          // the canvas has its own right-click menus: JupyterLab's cell menu stays out
          onContextMenu={(e) => { if (!e.shiftKey) { e.preventDefault(); e.stopPropagation(); } }} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }} onDrop={onDrop}>
          <ReactFlow<FlowNode, Edge>
            nodes={allNodes}
            edges={rfEdges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onDelete={onDelete}
            onConnect={onConnect}
            onConnectEnd={onConnectEnd}
            isValidConnection={isValidConnection}
            onMove={onMove}
            onInit={onInit}
            onNodeDoubleClick={onNodeDoubleClick}
            onNodeContextMenu={onNodeContextMenu}
            onEdgeContextMenu={onEdgeContextMenu}
            onPaneContextMenu={onPaneContextMenu}
            onPaneClick={closeMenus}
            zoomOnDoubleClick={false}
            // Rendering only visible elements is a large win zoomed in and a 10-40% loss when
            // every node is on screen (measured with bench/editor_canvas.py), so it follows zoom.
            onlyRenderVisibleElements={visibleOnly}
            deleteKeyCode={null /* handled in onKeyDownCapture, as one undo step */}
            multiSelectionKeyCode={MULTI_SELECT}
            fitView
            fitViewOptions={FIT}
            defaultViewport={initialViewport}
            minZoom={0.05}
            proOptions={PRO_OPTIONS}
          >
            <Background gap={20} size={1} />
            <ZoomProbe target={canvasRef} />
            <Controls showInteractive={false} />
            {large ? null : <MiniMap pannable zoomable className="dw-minimap" />}
          </ReactFlow>
          <Legend edges={rfEdges} colours={catalog.kind_colours ?? NO_COLOURS} />
          {refusal ? <Refusal info={refusal} onFix={acceptFix} onClose={() => refuse(null)} /> : null}
          {quick.search ? <BlockSearch catalog={catalog} at={quick.search} onPick={quick.pick} onClose={() => { quick.setSearch(null); keepFocus(); }} /> : null}
          {menu ? <ContextMenu at={menu} onClose={() => setMenu(null)} /> : null}
          {help && specs.get(help) ? (
            <div className="dw-help" role="note" data-help={help}>
              <button className="dw-refusal-close" onClick={() => setHelp(null)} title="close">&#215;</button>
              <b>{help}</b> <span className="dw-help-cat">{catalog.categories?.[specs.get(help)!.category]?.title ?? specs.get(help)!.category}</span>
              <p>{specs.get(help)!.doc || firstLine("(no documentation)")}</p>
              <ul>{specs.get(help)!.params.map((p) => <li key={p.name}><code>{p.name}</code> {p.doc}</li>)}</ul>
            </div>
          ) : null}
        </div>
        <div className="dw-statusbar">
          <span>{graph.nodes.length} nodes, {graph.edges.length} edges</span>
          <span className={`dw-error-count${nErrors ? " dw-has-errors" : ""}`} data-errors={nErrors}>{nErrors} errors</span>
          {general.map((e, i) => <span key={i} className="dw-msg-error">{e.text}</span>)}
          <span className="dw-validated">{analysis.ms ? `checked in ${analysis.ms.toFixed(0)} ms` : ""}</span>
        </div>
      </div>
      <div className="dw-side">
        {single ? (
          <Inspector
            node={single}
            spec={specs.get(single.type)}
            errors={errorsAt.get(single.id) ?? []}
            onParam={(name, v) => commit((g) => G.setParam(g, single.id, name, v))}
            onLabel={(l) => commit((g) => G.setLabel(g, single.id, l))}
          />
        ) : (
          <div className="dw-inspector dw-empty">{selectedIds.length ? `${selectedIds.length} nodes selected` : "Select a block to edit its parameters. Drag blocks in from the palette."}</div>
        )}
        <WorkbenchPanel transport={transport} doc={doc} hidden={selectedIds.length > 0 || path.length > 0}
          onTraining={(t) => { if (!path.length) commit((g) => ({ ...g, training: t })); }}
          onMark={(p, v) => { if (!path.length) commit((g) => G.setParamAt(g, p, "ablatable", v)); }} />
        {live ? (
          <Suspense fallback={<div className="dw-live">loading plots</div>}>
            <LivePanel transport={transport} status={status} selected={single ? G.nodePath(path, single.id) : null} />
          </Suspense>
        ) : null}
      </div>
    </div>
  );
}
