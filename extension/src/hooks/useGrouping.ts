// Group and ungroup, computed by the kernel (kernel_lib/diffwire/blocks/grouping.py knows
// the Group, Input and Output blocks; the front end names no block type). The canvas sends
// the graph it shows with the selection; the answer, an `edit` event, is committed as one
// undo step only if the canvas still shows the graph it sent, and selects what it made.
import { useCallback, useEffect, useMemo, useRef, type RefObject } from "react";
import type { Transport } from "../transport";
import type { GraphDoc } from "../types";
import * as G from "../graph";
import type { Commit } from "./useDocument";

export function useGrouping(opts: {
  transport: Transport;
  graphRef: RefObject<GraphDoc>;
  commit: Commit;
  selectOnly: (ids: string[]) => void;
}) {
  const { transport, graphRef } = opts;
  // answers go to every view of the model: each asks under a name of its own
  const client = useMemo(() => Math.random().toString(36).slice(2), []);
  const seq = useRef(0);
  const pending = useRef(new Map<string, GraphDoc>());
  const latest = useRef(opts);
  latest.current = opts;

  useEffect(() => transport.onEvent((ev) => {
    if (ev.event !== "edit") return;
    const sent = pending.current.get(ev.request);
    if (!sent) return;
    pending.current.delete(ev.request);
    const made = ev.graph;
    // edited meanwhile, or another body shown: the answer is for a graph that is gone
    if (!made || latest.current.graphRef.current !== sent) return;
    latest.current.commit((g) => (g === sent ? G.shareUnchanged(g, made) : g));
    if (ev.select.length) latest.current.selectOnly(ev.select);
  }), [transport]);

  const ask = useCallback((cmd: "group" | "ungroup", ids: string[]) => {
    if (!ids.length) return;
    const request = `${client}:${++seq.current}`;
    const graph = graphRef.current;
    pending.current.set(request, graph);
    transport.send({ cmd, request, graph, ids });
  }, [client, graphRef, transport]);

  /** Move the nodes `ids` into the body of a new group node (one undo step). */
  const group = useCallback((ids: string[]) => ask("group", ids), [ask]);
  /** Dissolve the group nodes among `ids` (one undo step). */
  const ungroup = useCallback((ids: string[]) => ask("ungroup", ids), [ask]);
  return { group, ungroup };
}
