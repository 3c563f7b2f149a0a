// The loss plot: every metric of the run, the whole run in bounded memory (series.ts: a
// min/max envelope behind the mean of old points, the newest at full resolution), and the
// runs selected in the runs table overlaid in their colours (overlay.ts; the kernel's
// `run_series` event). Every line can be smoothed (debiased EMA) with the raw curve faint
// behind it. Dragging across the plot zooms into a range and asks the kernel for that range
// of the current run at full resolution (the `history` command, answered from
// `run.history`); a double click zooms out.
import { useEffect, useRef, useState } from "react";
import type uPlot from "uplot";
import type { KernelEvent } from "../types";
import type { Transport } from "../transport";
import { MetricQueue } from "../metrics";
import { atFrame, dropFrame } from "../frame";
import { Chart, axis, type Data } from "./chart";
import { exact } from "./format";
import { DownsampledSeries, type Envelope } from "./series";
import { columnsOf, lineData, overlaysOf, plotLines, type Line, type Overlay, type RunSeriesEvent } from "./overlay";
import { PALETTE, withAlpha } from "./theme";
import { type Marker, describeMarkers, drawMarkers, mergeMarkers } from "./markers";
import { byTime, interpolate, stepAt } from "./timeaxis";

/** the records' seconds since the run started: the x of the plot by time */
const WALL = "wall";

/** most points the kernel sends for a zoomed range (more than that: buckets) */
const DETAIL_POINTS = 2000;

interface Detail { req: number; range: [number, number]; series: Map<string, Envelope> | null }

interface Props {
  transport: Transport;
  log: boolean;
  /** debiased EMA weight in [0, 1): 0 draws the raw curves */
  smoothing?: number;
  /** the current run's id (status.run): its live stream stands for it among the overlays */
  run?: string | null;
  /** the x axis: steps, or seconds since each run started (its records' `wall`) */
  xBy?: "step" | "time";
}

export function LossPlot({ transport, log, smoothing = 0, run = null, xBy = "step" }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart | null>(null);
  const stores = useRef(new Map<string, DownsampledSeries>());
  const detail = useRef<Detail | null>(null);
  const markers = useRef<Marker[]>([]);
  const logRef = useRef(log);
  const smoothRef = useRef(smoothing);
  const runRef = useRef(run);
  const xByRef = useRef(xBy);
  const overlays = useRef<Overlay[]>([]);
  const [zoomed, setZoomed] = useState(false);
  const [points, onPoints] = useState(0);
  const [detailPoints, setDetailPoints] = useState(0);
  const req = useRef(0);
  const redrawRef = useRef<() => void>(() => {});

  useEffect(() => {
    const names = () => [...stores.current.keys()];
    const clean = (v: number | null) => (v === null || (logRef.current && !(v > 0)) ? null : v);
    const envOf = (name: string): Envelope => {
      const d = detail.current;
      return d?.series?.get(name) ?? stores.current.get(name)!.whole();
    };
    // the current run's seconds per step (streamed and kept like a metric, never drawn),
    // read once per redraw when the plot is by time: lines, markers and zoom share it
    const curWall = () => (stores.current.has(WALL) ? envOf(WALL) : null);
    let wallNow: Envelope | null = null;
    const wallFor = (l: Line) => {
      if (l.band) return wallNow;  // the current run's stream
      const w = overlays.current.find((o) => o.id === l.run)?.series[WALL];
      return w ? { x: w.step, y: w.value } : null;
    };
    const stepToX = (step: number): number | null => {
      if (xByRef.current !== "time") return step;
      return wallNow ? interpolate(wallNow.x, wallNow.y, step) : null;
    };
    const linesNow = (): Line[] => {
      const cur = new Map(names().filter((n) => n !== WALL).map((n) => [n, envOf(n)]));
      const ls = plotLines(cur, runRef.current, overlays.current, PALETTE);
      if (xByRef.current !== "time") return ls;
      return ls.map((l) => byTime(l, wallFor(l))).filter((l): l is Line => l !== null);
    };
    const options = (ls: Line[]) => (size: { width: number; height: number }): uPlot.Options => {
      const time = xByRef.current === "time";
      const series: uPlot.Series[] = [time
        ? { label: "time", value: (_u, v) => (v === null ? "-" : `${v.toFixed(v < 10 ? 2 : 1)} s`) }
        : { label: "step", value: (_u, v) => (v === null ? "-" : String(Math.round(v))) }];
      const bands: uPlot.Band[] = [];
      const smooth = smoothRef.current > 0;
      const at = columnsOf(ls);
      ls.forEach((l, i) => {
        const c = l.color;
        const val = l.metric !== "loss";
        series.push({ label: l.label, stroke: c, width: 1.5, spanGaps: true, value: (_u, v) => exact(v),
          ...(val ? { dash: [6, 3] } : {}), points: { show: val, size: 5, fill: c } });
        // the raw curve, faint behind the smoothed one (hidden when nothing is smoothed)
        series.push({ label: `${l.label} raw`, class: "dw-envelope-row", stroke: smooth ? withAlpha(c, 0.3) : "transparent", width: smooth ? 1 : 0,
          spanGaps: true, value: (_u, v) => exact(v), points: { show: false } });
        if (!l.band) return;
        series.push({ label: `${l.label} min`, class: "dw-envelope-row", stroke: "transparent", width: 0, spanGaps: true, value: (_u, v) => exact(v), points: { show: false } });
        series.push({ label: `${l.label} max`, class: "dw-envelope-row", stroke: "transparent", width: 0, spanGaps: true, value: (_u, v) => exact(v), points: { show: false } });
        bands.push({ series: [at[i] + 3, at[i] + 2], fill: withAlpha(c, 0.2) });
      });
      return {
        ...size,
        series,
        bands,
        scales: { x: { time: false }, y: logRef.current ? { distr: 3, log: 10 } : {} },
        axes: [axis(time ? "time (s)" : "step"), axis(logRef.current ? "loss (log)" : "loss", { log: logRef.current })],
        legend: { live: true },
        // a drag selects a range; zooming is done here (setScale: false), so only a person's
        // drag, never a redraw, asks the kernel for detail
        cursor: { hover: { skip: [null, undefined] }, drag: { x: true, y: false, setScale: false }, bind: { dblclick: () => () => null } },
        hooks: {
          setSelect: [(u) => {
            const { left, width } = u.select;
            if (width < 3) return;
            let a: number | null = u.posToVal(left, "x"), b: number | null = u.posToVal(left + width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            const w = wallNow;
            if (xByRef.current === "time") [a, b] = w ? [stepAt(w, a), stepAt(w, b)] : [null, null];
            if (a !== null && b !== null) zoomTo(a, b);
          }],
          ready: [(u) => {
            u.over.addEventListener("dblclick", () => zoomTo(null));
          }],
          draw: [(u) => drawMarkers(u, markers.current, stepToX)],
        },
      };
    };

    let shown = "";
    const redraw = () => {
      if (!el.current) return;
      wallNow = xByRef.current === "time" ? curWall() : null;
      const ls = linesNow();
      const data = lineData(ls, smoothRef.current, clean) as unknown as Data;
      const key = JSON.stringify([ls.map((l) => [l.key, l.label, l.color, l.band]), smoothRef.current > 0, xByRef.current]);
      if (!chart.current) chart.current = new Chart(el.current, options(ls), data);
      else if (key !== shown) chart.current.rebuild(options(ls), data);
      else chart.current.u!.setData(data, true);
      describe(el.current, ls, data);
      const d = detail.current;
      if (d) {
        const u = chart.current.u!;
        const [x0, x1] = [stepToX(d.range[0]), stepToX(d.range[1])];
        const range: [number, number] = x0 !== null && x1 !== null ? [x0, x1] : d.range;
        u.setScale("x", { min: range[0], max: range[1] });
        const y = yRange(data, range, logRef.current);
        if (y) u.setScale("y", y);
      }
      shown = key;
      // the first step drawn (the whole run's start unless zoomed): read by tests and bench/soak.py
      const x0 = (data[0] as ArrayLike<number>)[0];
      el.current.dataset.xMin = x0 === undefined ? "" : String(x0);
      const xs = data[0] as ArrayLike<number>;
      el.current.dataset.xMax = xs.length ? String(xs[xs.length - 1]) : "";
      el.current.dataset.xBy = xByRef.current;
      el.current.dataset.markers = describeMarkers(markers.current);
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
      const coarse = [...stores.current.values()].some((st) => !st.exact(range[0], range[1]));
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
    const frameKey = {};
    const queue = new MetricQueue((ns, xs, ys) => {
      ns.forEach((n, i) => { const s = store(n); xs[i].forEach((x, j) => { const y = ys[i][j]; if (y !== null) s.add(x, y); }); });
      onPoints(queue.total);
      if (!detail.current) redraw();
    }, (cb) => { atFrame(frameKey, cb); return 1; });
    const off = transport.onEvent((ev: KernelEvent) => {
      if (ev.event === "metrics") queue.add(ev);
      else if (ev.event === "markers") {
        markers.current = mergeMarkers(markers.current, ev.markers);
        redraw();
      } else if (ev.event === "reset_metrics") {
        markers.current = [];
        stores.current.clear();
        detail.current = null;
        setZoomed(false);
        queue.total = 0;
        onPoints(0);
        redraw();
      } else if ((ev as { event: string }).event === "run_series") {
        overlays.current = overlaysOf(ev as unknown as RunSeriesEvent);
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
          if (ev.markers) markers.current = mergeMarkers(markers.current, ev.markers);
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
    // the whole run so far (a view opened after it started), asked once the kernel answers:
    // its catalog is the sign (a document tab's plot mounts before its comm is up, and a
    // request sent then is dropped: a reloaded page drew a live run from the reload on)
    const askHistory = () => transport.send({ cmd: "history", req: 0, points: 1000 });
    if (transport.readCatalog().blocks.length) askHistory();
    const offCatalog = transport.onCatalog(askHistory);
    return () => { off(); offCatalog(); dropFrame(frameKey); chart.current?.destroy(); chart.current = null; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [transport]);

  useEffect(() => {
    if (smoothRef.current === smoothing && runRef.current === run && xByRef.current === xBy) return;
    smoothRef.current = smoothing;
    runRef.current = run;
    xByRef.current = xBy;
    redrawRef.current();
  }, [smoothing, run, xBy]);

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

/** What is drawn, on the element, for tests and tools: each line's label, colour, run, how
 * many points it has on the plot now, its first step, and its last value as drawn
 * (smoothed) and raw. */
function describe(el: HTMLElement, ls: Line[], data: Data) {
  const at = columnsOf(ls);
  const xs = data[0] as number[];
  el.dataset.lines = JSON.stringify(ls.map((l, i) => {
    const main = data[at[i]] as (number | null)[], raw = data[at[i] + 1] as (number | null)[];
    let n = 0, first: number | null = null, last: number | null = null, lastRaw: number | null = null;
    main.forEach((v, j) => { if (v !== null && v !== undefined) { n++; if (first === null) first = xs[j]; last = v; } });
    raw.forEach((v) => { if (v !== null && v !== undefined) lastRaw = v; });
    return { label: l.label, color: l.color, run: l.run, metric: l.metric, points: n, first, last, raw: lastRaw };
  }));
}
