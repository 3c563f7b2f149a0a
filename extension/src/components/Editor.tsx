// The editor: palette, toolbar, canvas, status bar and side panel over a Transport. Each
// idea is a hook of its own (src/hooks/): the kernel's state, the document with its undo
// history, where the canvas is, the React Flow projection, wiring, the actions and the
// keys and menus that call them. This file only puts them together.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow, type Edge, type ReactFlowInstance, type Viewport,
} from "@xyflow/react";
import type { Transport } from "../transport";
import type { GraphDoc } from "../types";
import * as G from "../graph";
import * as H from "../history";
import { FIT } from "../zoom";
import { BlockNode } from "./BlockNode";
import { FrameNode } from "./FrameNode";
import { MarkedEdge } from "./MarkedEdge";
import { Palette } from "./Palette";
import { Legend } from "./Legend";
import { Refusal } from "./Refusal";
import { BlockSearch } from "./BlockSearch";
import { BlockHelp } from "./BlockHelp";
import { ContextMenu } from "./ContextMenu";
import { ZoomProbe } from "./ZoomProbe";
import { NearBackground } from "./NearBackground";
import { WireScale } from "./WireScale";
import { Toolbar } from "./Toolbar";
import { StatusBar } from "./StatusBar";
import { SidePanel } from "./SidePanel";
import { useKernel } from "../hooks/useKernel";
import { useDocument } from "../hooks/useDocument";
import { usePath } from "../hooks/usePath";
import { useFocus } from "../hooks/useFocus";
import { useCanvas } from "../hooks/useCanvas";
import { useConnecting } from "../hooks/useConnecting";
import { useAddBlock } from "../hooks/useAddBlock";
import { useQuickAdd } from "../hooks/useQuickAdd";
import { useEditorActions } from "../hooks/useEditorActions";
import { useShortcuts } from "../hooks/useShortcuts";
import { useMenus } from "../hooks/useMenus";
import { useTrainingView } from "../hooks/useTrainingView";
import type { FlowNode } from "../hooks/useFrames";

const nodeTypes = { block: BlockNode, frame: FrameNode };
const edgeTypes = { marked: MarkedEdge };
const NO_COLOURS: Record<string, string> = {};
// Props of <ReactFlow> are kept the same objects between renders: React Flow hands the
// handlers to every node wrapper, and a new function each render re-renders all of them.
const MULTI_SELECT = ["Shift", "Meta", "Control"];
const PRO_OPTIONS = { hideAttribution: true };

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

/** Start near the fitted view, so a large graph renders once in its zoomed-out form
 * instead of in full at zoom 1 and again after fitView. */
function guessViewport(g: GraphDoc): Viewport {
  if (!g.nodes.length) return { x: 0, y: 0, zoom: 1 };
  const xs = g.nodes.map((n) => n.position[0]);
  const ys = g.nodes.map((n) => n.position[1]);
  const w = Math.max(...xs) - Math.min(...xs) + 200;
  const h = Math.max(...ys) - Math.min(...ys) + 120;
  const zoom = Math.min(1, 800 / w, 500 / h);
  return { x: -Math.min(...xs) * zoom, y: -Math.min(...ys) * zoom, zoom };
}

/** The canvas's own right-click menus: JupyterLab's cell menu stays out (Shift keeps it). */
function ownContextMenu(e: React.MouseEvent) {
  if (!e.shiftKey) { e.preventDefault(); e.stopPropagation(); }
}

function EditorInner({ transport, height = "600px", live = true, onInit }: EditorProps) {
  const rf = useReactFlow();
  const rootRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLDivElement>(null);
  const [initialViewport] = useState(() => guessViewport(transport.readGraph()));
  // how often the whole editor has rendered, on its root for tests: a running run's
  // updates (status, metrics, statistics) must re-render only the parts that show them
  const renders = useRef(0);
  renders.current += 1;
  useEffect(() => { if (rootRef.current) rootRef.current.dataset.renders = String(renders.current); });

  const { catalog, specs, analysis } = useKernel(transport);
  const { path, enter, leaveTo, leave } = usePath();
  const focus = useFocus(rootRef);
  const { hist, doc, commit, travel } = useDocument(transport, path, focus.noteEdit);
  const graph = useMemo(() => G.graphAt(doc, path), [doc, path]);
  const graphRef = useRef(graph);
  graphRef.current = graph;
  // a node's ports: the kernel's answer for dynamic blocks, else the catalog's
  const ports: G.PortLookup = useMemo(() => {
    const fallback = G.catalogPorts(catalog);
    return (n) => analysis.ports[G.nodePath(path, n.id)] ?? fallback(n);
  }, [catalog, analysis.ports, path]);

  const training = useTrainingView(transport, doc);
  const canvas = useCanvas({ doc, graph, path, catalog, specs, ports, analysis, transport, training, commit, onEnter: enter });
  const { selectedIds, selectOnly } = canvas;
  // after each edit is drawn: focus back in the editor if it fell to the page
  useEffect(focus.recoverAfterEdit, [canvas.nodes, canvas.edges, focus.recoverAfterEdit]);

  const palette = useAddBlock(rootRef, specs, commit);
  const quick = useQuickAdd({
    rf, canvasRef, catalog, specs, ports, graphRef, commit,
    onAdded: (id, type) => { palette.noteUsed(type); window.setTimeout(() => selectOnly([id]), 0); },
  });
  const wiring = useConnecting({ canvasRef, graphRef, path, catalog, ports, shapes: analysis.shapes, commit, onDropOnPane: quick.onConnectEnd });
  const actions = useEditorActions({
    transport, catalog, graphRef, canvasRef, path, commit, travel, selectOnly, focusRoot: focus.focusRoot, leave, frames: canvas.frames,
  });
  const onKeyDownCapture = useShortcuts(actions, { nodes: selectedIds, edges: canvas.selectedEdges, frames: canvas.frames.selectedFrames });
  const menus = useMenus({
    actions, canvasRef, graphRef, selectedIds, selectOnly, enter, openSearch: quick.openAt, probes: training,
  });
  const onDelete = useCallback(({ nodes, edges }: { nodes: { id: string }[]; edges: { id: string }[] }) =>
    actions.remove(nodes.map((n) => n.id), edges.map((e) => e.id)), [actions]);
  const onNodeDoubleClick = useCallback((_: unknown, n: FlowNode) => {
    const body = n.type === "frame" ? undefined : n.data.spec?.bodies[0];
    if (body) enter(n.id, body);
  }, [enter]);
  const helpSpec = menus.help ? specs.get(menus.help) : undefined;

  return (
    <div className="dw-root" ref={rootRef} style={{ height }} tabIndex={0} data-lm-suppress-shortcuts="true"
      onKeyDownCapture={onKeyDownCapture} onPointerDownCapture={focus.onPointerDownCapture}>
      <Palette catalog={catalog} onAdd={palette.addBlock} recent={palette.recent} />
      <div className="dw-main">
        <Toolbar path={path} onLeaveTo={leaveTo} actions={actions} canUndo={H.canUndo(hist)} canRedo={H.canRedo(hist)}
          selected={selectedIds} showStats={training.showStats} onToggleStats={() => training.setShowStats((v) => !v)} />
        <div className="dw-canvas" ref={canvasRef} onDoubleClick={quick.onDoubleClick} onContextMenu={ownContextMenu}
          onDragOver={palette.onDragOver} onDrop={palette.onDrop}>
          <ReactFlow<FlowNode, Edge>
            nodes={canvas.nodes}
            edges={canvas.edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onNodesChange={canvas.onNodesChange}
            onEdgesChange={canvas.onEdgesChange}
            onDelete={onDelete}
            onConnect={wiring.onConnect}
            onConnectEnd={wiring.onConnectEnd}
            isValidConnection={wiring.isValidConnection}
            onMove={canvas.onMove}
            onInit={onInit}
            onNodeDoubleClick={onNodeDoubleClick}
            onNodeContextMenu={menus.onNodeContextMenu}
            onEdgeContextMenu={menus.onEdgeContextMenu}
            onPaneContextMenu={menus.onPaneContextMenu}
            onPaneClick={menus.closeMenu}
            zoomOnDoubleClick={false}
            // Rendering only visible elements is a large win zoomed in and a 10-40% loss when
            // every node is on screen (measured with bench/editor_canvas.py), so it follows zoom.
            onlyRenderVisibleElements={canvas.visibleOnly}
            deleteKeyCode={null /* handled in onKeyDownCapture, as one undo step */}
            multiSelectionKeyCode={MULTI_SELECT}
            fitView
            fitViewOptions={FIT}
            defaultViewport={initialViewport}
            minZoom={0.05}
            proOptions={PRO_OPTIONS}
          >
            <NearBackground />
            <ZoomProbe target={canvasRef} />
            <WireScale target={canvasRef} />
            <Controls showInteractive={false} />
            {canvas.large ? null : <MiniMap pannable zoomable className="dw-minimap" />}
          </ReactFlow>
          <Legend edges={canvas.edges} colours={catalog.kind_colours ?? NO_COLOURS} />
          {wiring.refusal ? <Refusal info={wiring.refusal} onFix={wiring.acceptFix} onClose={() => wiring.refuse(null)} /> : null}
          {quick.search ? <BlockSearch catalog={catalog} at={quick.search} onPick={quick.pick} onClose={() => { quick.setSearch(null); focus.keepFocus(); }} /> : null}
          {menus.menu ? <ContextMenu at={menus.menu} onClose={menus.closeMenu} /> : null}
          {helpSpec ? <BlockHelp spec={helpSpec} catalog={catalog} onClose={menus.closeHelp} /> : null}
        </div>
        <StatusBar graph={graph} analysis={analysis} />
      </div>
      <SidePanel transport={transport} doc={doc} graph={graph} path={path} specs={specs} selected={selectedIds}
        errorsAt={canvas.errorsAt} commit={commit} live={live} />
    </div>
  );
}
