// The loss plot: every metric of the run, the whole run in bounded memory (series.ts: a
// min/max envelope behind the mean of old points, the newest at full resolution). Dragging
// across the plot zooms into a range and asks the kernel for that range at full resolution
// (the `history` command, answered from `run.history`); a double click zooms out.
import { useEffect, useRef, useState } from "react";
import type uPlot from "uplot";
import type { KernelEvent } from "../types";
import type { Transport } from "../transport";
import { MetricQueue } from "../metrics";
import { Chart, axis, type Data } from "./chart";
import { exact } from "./format";
import { DownsampledSeries, align, type Envelope } from "./series";
import { PALETTE, withAlpha } from "./theme";

/** most points the kernel sends for a zoomed range (more than that: buckets) */
const DETAIL_POINTS = 2000;
const LABELS: Record<string, string> = { loss: "loss", val_loss: "validation loss" };
const ORDER = ["loss", "val_loss"];

interface Detail { req: number; range: [number, number]; series: Map<string, Envelope> | null }

export function LossPlot({ transport, log }: { transport: Transport; log: boolean }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart | null>(null);
  const stores = useRef(new Map<string, DownsampledSeries>());
  const detail = useRef<Detail | null>(null);
  const logRef = useRef(log);
  const [zoomed, setZoomed] = useState(false);
  const [points, onPoints] = useState(0);
  const [detailPoints, setDetailPoints] = useState(0);
  const req = useRef(0);
  const redrawRef = useRef<() => void>(() => {});

  useEffect(() => {
    const names = () => [...stores.current.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const clean = (v: number) => (logRef.current && !(v > 0) ? null : v);
    const envOf = (name: string): Envelope => {
      const d = detail.current;
      return d?.series?.get(name) ?? stores.current.get(name)!.whole();
    };
    const dataOf = (ns: string[]): Data => {
      const envs = ns.map(envOf);
      return align(envs.map((e) => e.x), envs.map((e) => [e.y.map(clean), e.lo.map(clean), e.hi.map(clean)])) as unknown as Data;
    };
    const options = (ns: string[]) => (size: { width: number; height: number }): uPlot.Options => {
      const series: uPlot.Series[] = [{ label: "step", value: (_u, v) => (v === null ? "-" : String(Math.round(v))) }];
      const bands: uPlot.Band[] = [];
      ns.forEach((n, i) => {
        const c = PALETTE[i % PALETTE.length];
        const at = 1 + 3 * i;
        series.push({ label: LABELS[n] ?? n, stroke: c, width: 1.5, spanGaps: true, value: (_u, v) => exact(v),
          points: { show: n !== "loss", size: 5, fill: c } });
        series.push({ label: `${LABELS[n] ?? n} min`, class: "dw-envelope-row", stroke: "transparent", width: 0, spanGaps: true, value: (_u, v) => exact(v), points: { show: false } });
        series.push({ label: `${LABELS[n] ?? n} max`, class: "dw-envelope-row", stroke: "transparent", width: 0, spanGaps: true, value: (_u, v) => exact(v), points: { show: false } });
        bands.push({ series: [at + 2, at + 1], fill: withAlpha(c, 0.2) });
      });
      return {
        ...size,
        series,
        bands,
        scales: { x: { time: false }, y: logRef.current ? { distr: 3, log: 10 } : {} },
        axes: [axis("step"), axis(logRef.current ? "loss (log)" : "loss", { log: logRef.current })],
        legend: { live: true },
        // a drag selects a range; zooming is done here (setScale: false), so only a person's
        // drag, never a redraw, asks the kernel for detail
        cursor: { hover: { skip: [null, undefined] }, drag: { x: true, y: false, setScale: false }, bind: { dblclick: () => () => null } },
        hooks: {
          setSelect: [(u) => {
            const { left, width } = u.select;
            if (width < 3) return;
            const a = u.posToVal(left, "x"), b = u.posToVal(left + width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomTo(a, b);
          }],
          ready: [(u) => {
            u.over.addEventListener("dblclick", () => zoomTo(null));
          }],
        },
      };
    };

    let shown: string[] = [];
    const redraw = () => {
      const ns = names();
      if (!el.current) return;
      const data = dataOf(ns);
      if (!chart.current) chart.current = new Chart(el.current, options(ns), data);
      else if (ns.join() !== shown.join()) chart.current.rebuild(options(ns), data);
      else chart.current.u!.setData(data, true);
      const d = detail.current;
      if (d) {
        const u = chart.current.u!;
        u.setScale("x", { min: d.range[0], max: d.range[1] });
        const y = yRange(data, d.range, logRef.current);
        if (y) u.setScale("y", y);
      }
      shown = ns;
      // the first step drawn (the whole run's start unless zoomed): read by tests and bench/soak.py
      const x0 = (data[0] as ArrayLike<number>)[0];
      el.current.dataset.xMin = x0 === undefined ? "" : String(x0);
    };
    redrawRef.current = redraw;

    const zoomTo = (a: number | null, b?: number) => {
      setDetailPoints(0);
      if (a === null || b === undefined) {
        detail.current = null;
        setZoomed(false);
        redraw();
        return;
      }
      const id = ++req.current;
      const range: [number, number] = [Math.floor(a), Math.ceil(b)];
      const coarse = [...stores.current.values()].some((s) => !s.exact(range[0], range[1]));
      detail.current = { req: id, range, series: null };
      setZoomed(true);
      redraw();
      if (coarse) transport.send({ cmd: "history", req: id, start: range[0], stop: range[1], points: DETAIL_POINTS, keys: names() });
    };

    const store = (n: string) => {
      let s = stores.current.get(n);
      if (!s) { s = new DownsampledSeries(); stores.current.set(n, s); }
      return s;
    };
    const queue = new MetricQueue((ns, xs, ys) => {
      ns.forEach((n, i) => { const s = store(n); xs[i].forEach((x, j) => { const y = ys[i][j]; if (y !== null) s.add(x, y); }); });
      onPoints(queue.total);
      if (!detail.current) redraw();
    });
    const off = transport.onEvent((ev: KernelEvent) => {
      if (ev.event === "metrics") queue.add(ev);
      else if (ev.event === "reset_metrics") {
        stores.current.clear();
        detail.current = null;
        setZoomed(false);
        queue.total = 0;
        onPoints(0);
        redraw();
      } else if (ev.event === "history") {
        const d = detail.current;
        if (ev.req === 0 && ev.start === null) {
          // the whole run so far, for a view opened after it started: points streamed
          // meanwhile are added back after it
          for (const [n, h] of Object.entries(ev.series)) {
            const s = store(n);
            const later = s.view();
            s.seed(h, h.n.reduce((a, b) => a + b, 0));
            const last = h.last.length ? h.last[h.last.length - 1] : -Infinity;
            later.x.forEach((x, i) => { if (x > last) s.add(x, later.y[i]); });
          }
          queue.total = Math.max(queue.total, ev.count);
          onPoints(queue.total);
          if (!detail.current) redraw();
        } else if (d && ev.req === d.req) {
          d.series = new Map(Object.entries(ev.series));
          setDetailPoints(Object.values(ev.series).reduce((a, h) => a + h.x.length, 0));
          redraw();
        }
      }
    });
    redraw();
    transport.send({ cmd: "history", req: 0, points: 1000 });
    return () => { off(); chart.current?.destroy(); chart.current = null; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [transport]);

  useEffect(() => {
    if (logRef.current === log) return;
    logRef.current = log;
    chart.current?.destroy();
    chart.current = null;
    redrawRef.current();
  }, [log]);

  return (
    <div className="dw-plot-box">
      <div className="dw-plot dw-loss-plot" ref={el} data-zoomed={zoomed ? "true" : "false"} data-points={points} data-detail-points={detailPoints} />
      {zoomed ? <button className="dw-zoom-out" title="show the whole run (double-click the plot)" onClick={() => { detail.current = null; setZoomed(false); redrawRef.current(); }}>whole run</button> : null}
    </div>
  );
}

/** the y range of what is drawn in the x range [a, b] (uPlot keeps the whole run's) */
function yRange(data: Data, [a, b]: [number, number], log: boolean): { min: number; max: number } | null {
  let lo = Infinity, hi = -Infinity;
  const xs = data[0] as number[];
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < a || xs[i] > b) continue;
    for (let c = 1; c < data.length; c++) {
      const v = (data[c] as (number | null)[])[i];
      if (v !== null && v !== undefined) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
  }
  if (!(hi >= lo)) return null;
  if (log) return { min: lo / 1.15, max: hi * 1.15 };
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  return { min: lo - pad, max: hi + pad };
}

function rank(name: string) {
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
}
