// Drawing a wire: each candidate is checked as it is dragged (kind, shape, a taken input,
// a cycle) and a refused one says why beside the port, with a one-click param fix where a
// size is all that differs. A wire dropped on empty canvas opens the block search.
import { useCallback, useRef, useState, type RefObject } from "react";
import type { Connection, Edge, FinalConnectionState } from "@xyflow/react";
import type { Catalog, EdgeDoc, GraphDoc } from "../types";
import * as G from "../graph";
import type { RefusalInfo } from "../components/Refusal";
import type { Analysis } from "./useKernel";
import type { Commit } from "./useDocument";

const LINGER_MS = 5000; // how long a refusal stays after the drag ends
const LINGER_FIX_MS = 10000; // ... when it offers a fix

const toEdge = (c: Connection | Edge): EdgeDoc => ({
  source: c.source, source_port: c.sourceHandle ?? "", target: c.target, target_port: c.targetHandle ?? "",
});

export interface ConnectingInputs {
  canvasRef: RefObject<HTMLDivElement | null>;
  graphRef: RefObject<GraphDoc>;
  path: G.GraphPath;
  catalog: Catalog;
  ports: G.PortLookup;
  shapes: Analysis["shapes"];
  commit: Commit;
  /** a wire dropped on empty canvas (useQuickAdd) */
  onDropOnPane: (event: MouseEvent | TouchEvent, state: FinalConnectionState) => void;
}

export function useConnecting({ canvasRef, graphRef, path, catalog, ports, shapes, commit, onDropOnPane }: ConnectingInputs) {
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const refusalTimer = useRef<number>(0);

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
  }, [canvasRef]);

  /** Show `info` (null: nothing); with `linger`, for that many ms. */
  const refuse = useCallback((info: RefusalInfo | null, linger = 0) => {
    window.clearTimeout(refusalTimer.current);
    setRefusal((r) => (r && info && r.reason === info.reason && G.edgeKey(r.edge) === G.edgeKey(info.edge) ? r : info));
    if (linger && info) refusalTimer.current = window.setTimeout(() => setRefusal(null), linger);
  }, []);

  const shapeOf = useCallback(
    (node: string, port: string) => shapes[G.nodePath(path, node)]?.[port],
    [shapes, path],
  );
  const check = useCallback((e: EdgeDoc): RefusalInfo | null => {
    const c = G.canConnect(graphRef.current, catalog, ports, e, shapeOf);
    if (c.ok) return null;
    return { edge: e, reason: c.reason, fix: G.shapeFix(graphRef.current, catalog, ports, e, shapeOf), at: portAt(e.target, e.target_port) };
  }, [graphRef, catalog, ports, shapeOf, portAt]);

  const isValidConnection = useCallback((c: Connection | Edge) => {
    const r = check(toEdge(c));
    refuse(r);
    return !r;
  }, [check, refuse]);

  const onConnect = useCallback((c: Connection) => {
    const e = toEdge(c);
    const r = check(e);
    if (r) return refuse(r, r.fix ? LINGER_FIX_MS : LINGER_MS);
    refuse(null);
    commit((g) => G.connect(g, e));
  }, [check, commit, refuse]);

  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    // the refusal shown while dragging stays a while after the drag ends
    setRefusal((r) => {
      if (r) { window.clearTimeout(refusalTimer.current); refusalTimer.current = window.setTimeout(() => setRefusal(null), r.fix ? LINGER_FIX_MS : LINGER_MS); }
      return r;
    });
    if (!state.isValid && !state.toHandle) { refuse(null); onDropOnPane(event, state); }
  }, [refuse, onDropOnPane]);

  /** Apply the refusal's fix (`auto`: the param follows the wire) and add its wire: one edit. */
  const acceptFix = useCallback((auto: boolean) => {
    const r = refusal;
    if (!r?.fix) return;
    const fix = r.fix;
    refuse(null);
    commit((g) => G.applyFix(g, fix, r.edge, auto));
  }, [refusal, refuse, commit]);

  return { refusal, refuse, isValidConnection, onConnect, onConnectEnd, acceptFix };
}
