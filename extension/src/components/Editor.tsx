// The editor: canvas, palette, inspector and live panel over a Transport. State is the
// document (with its undo history) plus what the kernel said about it; React Flow's
// own node list only carries selection and in-flight drag positions.
import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, applyEdgeChanges, applyNodeChanges,
  useReactFlow, useUpdateNodeInternals, type Connection, type Edge, type ReactFlowInstance, type EdgeChange, type NodeChange, type Viewport,
} from "@xyflow/react";
import type { Transport } from "../transport";
import type { Catalog, EdgeDoc, GraphDoc, GraphErrorInfo, KernelEvent, PortsByNode, RunStatus, Shapes } from "../types";
import * as G from "../graph";
import * as H from "../history";
import { stableStringify } from "../stable";
import { BlockNode, shapeText, type BlockFlowNode } from "./BlockNode";
import { DRAG_TYPE, Palette } from "./Palette";
import { Inspector } from "./Inspector";

const nodeTypes = { block: BlockNode };
// the live panel and the layout code load when first needed
const LivePanel = lazy(() => import("./LivePanel").then((m) => ({ default: m.LivePanel })));
const LARGE = 300; // above this many nodes: no minimap, no edge labels
const VISIBLE_ONLY_ZOOM = 0.6; // render only visible elements when zoomed in this far

interface Analysis { errors: GraphErrorInfo[]; shapes: Shapes; ports: PortsByNode; ms: number }
const NO_ANALYSIS: Analysis = { errors: [], shapes: {}, ports: {}, ms: 0 };

export interface EditorProps {
  transport: Transport;
  height?: string;
  /** Hide the live panel (benchmarks, read-only views). */
  live?: boolean;
  /** Called with React Flow's instance once the canvas is ready (hosts, benchmarks). */
  onInit?: (instance: ReactFlowInstance<BlockFlowNode, Edge>) => void;
}

export function Editor(props: EditorProps) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

const FIT = { padding: 0.15, maxZoom: 1.2 };
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

/** The handles a node draws: its port names, in order, per side. */
function handleKey(p: { inputs: { name: string }[]; outputs: { name: string }[] }): string {
  return p.inputs.map((x) => x.name).join(",") + "|" + p.outputs.map((x) => x.name).join(",");
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
  const [refusal, setRefusal] = useState<string | null>(null);
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
        errors: ev.errors, ports: ev.ports, ms: ev.ms,
        shapes: failed ? { ...a.shapes, ...ev.shapes } : ev.shapes,
      }));
    }
  }), [transport]);

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
  }, [path, transport]);

  const travel = useCallback((fn: (h: H.History<GraphDoc>) => H.History<GraphDoc>) => {
    const nh = fn(histRef.current);
    if (nh === histRef.current) return;
    histRef.current = nh;
    setHist(nh);
    transport.writeGraph(nh.present);
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
    const t = window.setTimeout(() => void rf.fitView(FIT), 50);
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

  // Node data objects are reused when nothing a node shows has changed, so the memoized
  // BlockNode skips rendering: an edit re-renders one node, not the whole canvas.
  const dataCache = useRef(new Map<string, { key: string; node: BlockFlowNode }>());
  const nodeArray = useRef<BlockFlowNode[]>([]);
  const handlesChanged = useRef(new Set<string>());
  const flowNodes = useMemo<BlockFlowNode[]>(() => {
    const prev = dataCache.current;
    const next = new Map<string, { key: string; node: BlockFlowNode }>();
    const out = graph.nodes.map((n) => {
      const p = ports(n);
      const handles = handleKey(p);
      const had = prev.get(n.id)?.node.data;
      if (had && handleKey(had) !== handles) handlesChanged.current.add(n.id);
      const sh = analysis.shapes[G.nodePath(path, n.id)] ?? {};
      const errs = errorsAt.get(n.id) ?? [];
      const spec = specs.get(n.type);
      const key = JSON.stringify([p, sh, errs, spec?.type, path.length]);
      const old = prev.get(n.id);
      if (old && old.key === key && old.node.data.node === n && old.node.data.spec === spec) {
        next.set(n.id, old);
        return old.node;
      }
      const node: BlockFlowNode = {
        id: n.id,
        type: "block",
        position: { x: n.position[0], y: n.position[1] },
        data: {
          node: n, spec, inputs: p.inputs, outputs: p.outputs,
          shapes: Object.fromEntries(Object.entries(sh).map(([k, v]) => [k, shapeText(v)])),
          errors: errs, onEnter: enter,
        },
      };
      next.set(n.id, { key, node });
      return node;
    });
    dataCache.current = next;
    const last = nodeArray.current;
    if (last.length === out.length && out.every((n, i) => n === last[i])) return last;
    nodeArray.current = out;
    return out;
  }, [graph, ports, analysis.shapes, path, specs, errorsAt, enter]);

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
    setRfNodes((prev) => {
      const sel = new Set(prev.filter((n) => n.selected).map((n) => n.id));
      const before = new Map(prev.map((n) => [n.id, n]));
      return flowNodes.map((n) => {
        const b = before.get(n.id);
        // keep React Flow's own object (measured size, selection) when our data is the same
        if (b && b.data === n.data && b.position.x === n.position.x && b.position.y === n.position.y) return b;
        return sel.has(n.id) ? { ...n, selected: true } : n;
      });
    });
  }, [flowNodes]);

  const large = graph.nodes.length > LARGE;
  const edgeCache = useRef(new Map<string, Edge>());
  const edgeArray = useRef<Edge[]>([]);
  const flowEdges = useMemo<Edge[]>(() => {
    const prev = edgeCache.current;
    const next = new Map<string, Edge>();
    const out = graph.edges.map((e) => {
      const sh = analysis.shapes[G.nodePath(path, e.source)]?.[e.source_port];
      const id = G.edgeKey(e);
      const label = !large && sh ? shapeText(sh) : undefined;
      const old = prev.get(id);
      // same object when unchanged: edge labels are measured (getBBox) on every render
      const edge = old && old.label === label ? old : {
        id, source: e.source, target: e.target, sourceHandle: e.source_port, targetHandle: e.target_port, label,
      };
      next.set(id, edge);
      return edge;
    });
    edgeCache.current = next;
    // every edge as before: the same array, so React Flow's store sees no change at all
    const last = edgeArray.current;
    if (last.length === out.length && out.every((e, i) => e === last[i])) return last;
    edgeArray.current = out;
    return out;
  }, [graph, analysis.shapes, path, large]);
  const [rfEdges, setRfEdges] = useState<Edge[]>(flowEdges);
  useEffect(() => {
    setRfEdges((prev) => {
      const sel = new Set(prev.filter((e) => e.selected).map((e) => e.id));
      const before = new Map(prev.map((e) => [e.id, e]));
      return flowEdges.map((e) => {
        const b = before.get(e.id);
        if (b && b.label === e.label) return b;
        return sel.has(e.id) ? { ...e, selected: true } : e;
      });
    });
  }, [flowEdges]);

  const onNodesChange = useCallback((changes: NodeChange<BlockFlowNode>[]) => {
    setRfNodes((ns) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), ns));
    const moves: Record<string, [number, number]> = {};
    for (const c of changes) if (c.type === "position" && c.dragging === false && c.position) moves[c.id] = [c.position.x, c.position.y];
    if (Object.keys(moves).length) commit((g) => G.moveNodes(g, moves));
  }, [commit]);

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
  const refuse = useCallback((reason: string | null, linger = false) => {
    window.clearTimeout(refusalTimer.current);
    setRefusal((r) => (r === reason ? r : reason));
    if (linger && reason) refusalTimer.current = window.setTimeout(() => setRefusal(null), 4000);
  }, []);
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const shapeOf = useCallback(
    (node: string, port: string) => analysis.shapes[G.nodePath(path, node)]?.[port],
    [analysis.shapes, path],
  );
  const isValidConnection = useCallback((c: Connection | Edge) => {
    const check = G.canConnect(graphRef.current, catalog, ports, toEdge(c), shapeOf);
    refuse(check.ok ? null : check.reason);
    return check.ok;
  }, [catalog, ports, refuse, shapeOf]);
  const onConnect = useCallback((c: Connection) => {
    const e = toEdge(c);
    const check = G.canConnect(graphRef.current, catalog, ports, e, shapeOf);
    if (!check.ok) return refuse(check.reason, true);
    refuse(null);
    commit((g) => G.connect(g, e));
  }, [catalog, ports, commit, refuse, shapeOf]);
  const onConnectEnd = useCallback(() => {
    setRefusal((r) => {
      if (r) { window.clearTimeout(refusalTimer.current); refusalTimer.current = window.setTimeout(() => setRefusal(null), 4000); }
      return r;
    });
  }, []);

  // -- palette, clipboard, layout, keys -------------------------------------------------

  const addBlock = useCallback((type: string, at?: { x: number; y: number }) => {
    const spec = specs.get(type);
    if (!spec) return;
    const el = rootRef.current?.querySelector(".react-flow");
    const r = el?.getBoundingClientRect();
    const pos = at ?? rf.screenToFlowPosition({ x: (r?.left ?? 0) + (r?.width ?? 400) / 2, y: (r?.top ?? 0) + (r?.height ?? 300) / 2 });
    commit((g) => G.addNode(g, spec, [Math.round(pos.x), Math.round(pos.y)]).graph);
  }, [specs, rf, commit]);

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
    window.setTimeout(() => void rf.fitView(FIT), 50);
  }, [rf, commit, transport]);

  // Group the selection into a new Group body / dissolve the selected groups: one undo step each.
  const groupSelected = useCallback(() => {
    let id: string | null = null;
    commit((g) => { const r = G.groupSelection(g, selectedIds); id = r?.id ?? null; return r ? r.graph : g; });
    window.setTimeout(() => { if (id) selectOnly([id]); }, 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [commit, selectedIds]);
  const ungroupSelected = useCallback(() => {
    let ids: string[] = [];
    commit((g) => {
      let out = g;
      for (const id of selectedIds) { const r = G.ungroup(out, id); if (r) { out = r.graph; ids = [...ids, ...r.ids]; } }
      return out;
    });
    window.setTimeout(() => { if (ids.length) selectOnly(ids); }, 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [commit, selectedIds]);

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
    else if (mod && k === "v" && clipboard.current) {
      const clip = clipboard.current;
      let ids: string[] = [];
      commit((g) => { const r = G.paste(g, clip); ids = r.ids; return r.graph; });
      window.setTimeout(() => selectOnly(ids), 0);
    } else if (mod && k === "d") {
      let ids: string[] = [];
      commit((g) => { const r = G.duplicate(g, selectedIds); ids = r.ids; return r.graph; });
      window.setTimeout(() => selectOnly(ids), 0);
    } else if (mod && k === "g") {
      if (e.shiftKey) ungroupSelected(); else groupSelected();
    } else if (!mod && (k === "delete" || k === "backspace")) {
      const edges = rfEdges.filter((x) => x.selected).map((x) => x.id);
      if (selectedIds.length || edges.length) onDelete({ nodes: selectedIds.map((id) => ({ id })), edges: edges.map((id) => ({ id })) });
    } else if (mod && k === "a") selectOnly(graphRef.current.nodes.map((n) => n.id));
    else if (!mod && !e.altKey && k === "f") void rf.fitView(FIT);
    else if (!mod && !e.altKey && k === "l") void runLayout();
    else if (!mod && k === "escape" && path.length) setPath((p) => p.slice(0, -1));
    else done = false;
    if (done) e.preventDefault();
  }, [travel, commit, selectedIds, rfEdges, onDelete, rf, runLayout, path.length, groupSelected, ungroupSelected]);

  // Rendering only visible elements is a large win zoomed in and a loss when every node
  // is on screen (TOOLCHAIN.md), so it follows the zoom level.
  const onNodeDoubleClick = useCallback((_: unknown, n: BlockFlowNode) => {
    const b = n.data.spec?.bodies[0];
    if (b) enter(n.id, b);
  }, [enter]);

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
      }}
    >
      <Palette catalog={catalog} onAdd={addBlock} />
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
          <button title="Auto-layout (L)" onClick={() => void runLayout()}>Layout</button>
          <button title="Fit (F)" onClick={() => void rf.fitView(FIT)}>Fit</button>
          <button title="Validate" onClick={() => transport.send({ cmd: "validate" })}>Validate</button>
        </div>
        <div className="dw-canvas" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }} onDrop={onDrop}>
          <ReactFlow<BlockFlowNode, Edge>
            nodes={rfNodes}
            edges={rfEdges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onDelete={onDelete}
            onConnect={onConnect}
            onConnectEnd={onConnectEnd}
            isValidConnection={isValidConnection}
            onMove={onMove}
            onInit={onInit}
            onNodeDoubleClick={onNodeDoubleClick}
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
            <Controls showInteractive={false} />
            {large ? null : <MiniMap pannable zoomable className="dw-minimap" />}
          </ReactFlow>
          {refusal ? <div className="dw-refusal" role="alert">Cannot connect: {refusal}</div> : null}
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
        {live ? (
          <Suspense fallback={<div className="dw-live">loading plots</div>}>
            <LivePanel transport={transport} status={status} selected={single ? G.nodePath(path, single.id) : null} />
          </Suspense>
        ) : null}
      </div>
    </div>
  );
}
