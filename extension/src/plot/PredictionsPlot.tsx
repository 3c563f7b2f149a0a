// Predictions against the data (predictions.ts makes the series): one plot against the
// input, or for an ODE graph the trajectories over time beside a phase portrait. Each
// snapshot replaces the data; the chart is rebuilt only when the series change.
import { useEffect, useLayoutEffect, useRef } from "react";
import uPlot from "uplot";
import { predictionPlots, type PlotSpec, type PredictionsEvent } from "../predictions";
import { Chart, axis, type Data } from "./chart";
import { exact } from "./format";
import { PALETTE, withAlpha } from "./theme";

function options(spec: PlotSpec) {
  return (size: { width: number; height: number }): uPlot.Options => ({
    ...size,
    mode: spec.mode,
    series: [
      spec.mode === 2 ? {} : { label: spec.xLabel, value: (_u: uPlot, v: number | null) => exact(v) },
      ...spec.series.map((s): uPlot.Series => {
        const c = PALETTE[s.color % PALETTE.length];
        const base: uPlot.Series = { label: s.label, stroke: c, value: (_u, v) => exact(v) };
        if (spec.mode === 2) (base as Record<string, unknown>).facets = [{ scale: "x", auto: true }, { scale: "y", auto: true }];
        // data: light dots behind; the model: a solid line over them, in the same hue
        return s.kind === "points"
          ? { ...base, stroke: withAlpha(c, 0.55), paths: () => null, points: { show: true, size: 4, width: 0, fill: withAlpha(c, 0.45), stroke: withAlpha(c, 0.45), space: 0 } }
          : { ...base, width: 2.5, points: { show: false } };
      }),
    ],
    scales: spec.mode === 2 ? { x: { time: false, auto: true }, y: { auto: true } } : { x: { time: false } },
    axes: [axis(spec.xLabel), axis(spec.yLabel)],
    legend: { live: spec.mode !== 2 },
    cursor: spec.mode === 2 ? { show: false } : { hover: { skip: [null, undefined] } },
    // uPlot draws no points for an x-y (mode 2) series: the data's dots are drawn here
    hooks: spec.mode === 2 ? { draw: [(u: uPlot) => drawDots(u, spec)] } : {},
  });
}

function drawDots(u: uPlot, spec: PlotSpec) {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  const r = 2.5 * devicePixelRatio;
  spec.series.forEach((s, i) => {
    if (s.kind !== "points") return;
    const [xs, ys] = u.data[i + 1] as unknown as [number[], number[]];
    ctx.fillStyle = withAlpha(PALETTE[s.color % PALETTE.length], 0.5);
    for (let j = 0; j < xs.length; j++) {
      ctx.beginPath();
      ctx.arc(u.valToPos(xs[j], "x", true), u.valToPos(ys[j], "y", true), r, 0, 2 * Math.PI);
      ctx.fill();
    }
  });
  ctx.restore();
}

export function PredictionsPlot({ ev }: { ev: PredictionsEvent | null }) {
  const box = useRef<HTMLDivElement>(null);
  const charts = useRef(new Map<string, { chart: Chart; key: string }>());

  // drawn in the commit (a layout effect), so a snapshot is drawn in the frame that
  // applied it (frame.ts), not in one more after it
  useLayoutEffect(() => {
    const root = box.current;
    if (!root || !ev) return;
    const plots = predictionPlots(ev);
    const keep = new Set<string>(plots.map((p) => p.id));
    for (const [id, c] of charts.current) if (!keep.has(id)) { c.chart.destroy(); charts.current.delete(id); root.querySelector(`[data-plot="${id}"]`)?.remove(); }
    for (const spec of plots) {
      const key = `${spec.mode}|${spec.xLabel}|${spec.yLabel}|${spec.series.map((s) => s.label).join()}`;
      const data = spec.data as unknown as Data;
      const have = charts.current.get(spec.id);
      if (have && have.key === key) { have.chart.u!.setData(data); continue; }
      let el = root.querySelector<HTMLElement>(`[data-plot="${spec.id}"]`);
      if (!el) {
        el = document.createElement("div");
        el.className = `dw-plot dw-pred-${spec.id}`;
        el.dataset.plot = spec.id;
        root.appendChild(el);
      }
      if (have) have.chart.rebuild(options(spec), data);
      else charts.current.set(spec.id, { chart: new Chart(el, options(spec), data), key });
      charts.current.get(spec.id)!.key = key;
    }
    root.dataset.step = String(ev.step);
  }, [ev]);

  useEffect(() => () => { for (const c of charts.current.values()) c.chart.destroy(); charts.current.clear(); }, []);

  return <div className="dw-pred-plot" ref={box} />;
}
