// The document and its undo history (history.ts). An edit of the graph at the current path
// is one undo step and one write to the host; a document the host pushes (the kernel, the
// file) replaces the present without a step.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Transport } from "../transport";
import type { GraphDoc } from "../types";
import * as G from "../graph";
import * as H from "../history";
import { stableStringify } from "../stable";
import { mark } from "../perfmarks";

export type Commit = (fn: (g: GraphDoc) => GraphDoc) => void;

/** `onEdit` is told of every edit and undo/redo this side made (after it is written). */
export function useDocument(transport: Transport, path: G.GraphPath, onEdit: () => void) {
  const [hist, setHist] = useState(() => H.start(transport.readGraph()));
  // The ref runs ahead of React: an edit handled before the next render builds on the
  // document the last edit (or push) made, not on the one last drawn.
  const histRef = useRef(hist);
  histRef.current = hist;
  const set = (nh: H.History<GraphDoc>) => {
    histRef.current = nh;
    setHist(nh);
  };

  useEffect(() => {
    const take = (incoming: GraphDoc) => {
      // our own writes come back as change events too: same object, nothing to do
      if (incoming === histRef.current.present) return;
      if (stableStringify(incoming) === stableStringify(histRef.current.present)) return;
      set(H.replace(histRef.current, incoming));
    };
    const off = transport.onGraph(take);
    // a document the host took between the first render and now (the file loading as the
    // view opens) came before anyone listened
    take(transport.readGraph());
    return off;
  }, [transport]);

  /** Commit an edit of the graph at the current path: one undo step, one write. */
  const commit: Commit = useCallback((fn) => {
    const h = histRef.current;
    const next = G.updateAt(h.present, path, fn);
    if (next === h.present) return;
    set(H.push(h, next));
    mark("dw-commit");
    transport.writeGraph(next);
    mark("dw-written");
    onEdit();
  }, [path, transport, onEdit]);

  /** Undo or redo (`H.undo`, `H.redo`): the document it lands on is written. */
  const travel = useCallback((fn: (h: H.History<GraphDoc>) => H.History<GraphDoc>) => {
    const nh = fn(histRef.current);
    if (nh === histRef.current) return;
    set(nh);
    transport.writeGraph(nh.present);
    onEdit();
  }, [transport, onEdit]);

  return { hist, doc: hist.present, commit, travel };
}
