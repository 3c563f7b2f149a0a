// What a run shows on the graph, kept from the kernel's events (trainingView.ts), and the
// probes the person put on edges: each is a `probe` command, and goes with its edge.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Transport } from "../transport";
import type { EdgeDoc, GraphDoc } from "../types";
import * as G from "../graph";
import { EMPTY_VIEW, applyEvent, isViewEvent, type TrainingView, type ViewEvent } from "../trainingView";

export function useTrainingView(transport: Transport, top: GraphDoc) {
  const [view, setView] = useState<TrainingView>(EMPTY_VIEW);
  const probed = useRef(new Set<string>());
  const [showStats, setShowStats] = useState(false);

  // The gradient-flow check holds for the wiring it ran on: rewired (or replaced from
  // Python), the marks go until the next run's check (a rebuild checks again).
  const wiring = useMemo(() => top.edges.map(G.edgeKey).sort().join("|"), [top.edges]);
  const checkedOn = useRef<string | null>(null);
  useEffect(() => {
    if (checkedOn.current === null) return;
    if (checkedOn.current !== wiring) {
      checkedOn.current = null;
      setView((v) => ({ ...v, noGrad: {}, detached: {} }));
    }
  }, [wiring]);
  const wiringRef = useRef(wiring);
  wiringRef.current = wiring;

  // Per-node statistics arrive with most metric batches but show only as badges when the
  // person turns them on: while off, the newest waits here, and the canvas is not
  // re-rendered for numbers it does not draw.
  const showStatsRef = useRef(showStats);
  showStatsRef.current = showStats;
  const unshown = useRef<ViewEvent | null>(null);
  useEffect(() => {
    if (!showStats || !unshown.current) return;
    const ev = unshown.current;
    unshown.current = null;
    setView((v) => applyEvent(v, ev, probed.current));
  }, [showStats]);

  useEffect(() => transport.onEvent((ev) => {
    if (!isViewEvent(ev)) return;
    if (ev.event === "grad_check") checkedOn.current = wiringRef.current;
    if (ev.event === "reset_metrics") unshown.current = null;
    if (ev.event === "graph_stats" && !showStatsRef.current) { unshown.current = ev; return; }
    setView((v) => applyEvent(v, ev, probed.current));
  }), [transport]);

  const setProbe = useCallback((e: EdgeDoc, on: boolean) => {
    const key = G.edgeKey(e);
    if (on) probed.current.add(key); else probed.current.delete(key);
    transport.send({ cmd: "probe", edge: e, on });
    setView((v) => {
      const probes = { ...v.probes };
      if (on) probes[key] = probes[key] ?? { labels: [], step: [], mean: [], std: [] };
      else delete probes[key];
      return { ...v, probes };
    });
  }, [transport]);

  // a probe goes with its edge (the kernel drops its hook on the same edit)
  useEffect(() => {
    if (!probed.current.size) return;
    const keys = new Set(top.edges.map(G.edgeKey));
    const gone = [...probed.current].filter((k) => !keys.has(k));
    if (!gone.length) return;
    for (const k of gone) probed.current.delete(k);
    setView((v) => {
      const probes = { ...v.probes };
      for (const k of gone) delete probes[k];
      return { ...v, probes };
    });
  }, [top]);

  const isProbed = useCallback((key: string) => probed.current.has(key), []);
  return { view, setProbe, isProbed, showStats, setShowStats };
}
