// Where the canvas is: the top graph, or a body reached through nodes (double-click or the
// menu opens one; Escape or the breadcrumb goes back). Entering or leaving fits the view.
import { useCallback, useEffect, useRef, useState } from "react";
import { useReactFlow } from "@xyflow/react";
import type * as G from "../graph";
import { FIT, FIT_BODY } from "../zoom";

export function usePath() {
  const rf = useReactFlow();
  const [path, setPath] = useState<G.GraphPath>([]);
  const enter = useCallback((id: string, body: string) => setPath((p) => [...p, { node: id, body }]), []);
  /** Back to `depth` levels from the top (0: the top graph). */
  const leaveTo = useCallback((depth: number) => setPath((p) => p.slice(0, depth)), []);
  const leave = useCallback(() => setPath((p) => p.slice(0, -1)), []);

  const firstPath = useRef(true);
  useEffect(() => {
    if (firstPath.current) { firstPath.current = false; return; }
    const t = window.setTimeout(() => void rf.fitView(path.length ? FIT_BODY : FIT), 50);
    return () => window.clearTimeout(t);
  }, [path, rf]);

  return { path, enter, leaveTo, leave };
}
