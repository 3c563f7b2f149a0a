// The live panel's predictions plots, as series specs for uPlot (pure; unit-tested).
// Ordinary graphs: model and data against the first input. ODE graphs (`kind: "ode"`):
// trajectories of each state against time, and the phase portrait (state 0 against
// state 1) as a second plot. Series are named after the graph's output and its target.

export interface PredictionsEvent {
  event: "predictions";
  kind?: "ode";
  x: number[];
  t?: number[];
  y_true: number[][];
  y_pred: number[][];
  step: number;
  /** the graph output drawn (its target in the data has the same name) */
  output?: string;
  /** the input on the x axis (the time input for ODE graphs) */
  input?: string;
}

export interface SeriesSpec { label: string; color: number; kind: "points" | "line" }

export interface PlotSpec {
  id: "fit" | "trajectories" | "phase";
  xLabel: string;
  yLabel: string;
  series: SeriesSpec[];
  /** mode 1: [x, ...y] (x sorted); mode 2 (the phase portrait): one [x, y] pair per series */
  mode: 1 | 2;
  data: (number[] | number[][] | null)[];
}

const col = (rows: number[][], d: number) => rows.map((r) => r[d]);

export function predictionPlots(ev: PredictionsEvent): PlotSpec[] {
  const dims = ev.y_true[0]?.length ?? 0;
  const out = ev.output ?? "output";
  const dim = (d: number) => (dims > 1 ? `${out}[${d}]` : out);
  const series: SeriesSpec[] = [];
  const ys: number[][] = [];
  for (let d = 0; d < dims; d++) {
    series.push({ label: `${dim(d)} data`, color: d, kind: "points" });
    ys.push(col(ev.y_true, d));
    series.push({ label: `${dim(d)} model`, color: d, kind: "line" });
    ys.push(col(ev.y_pred, d));
  }
  if (ev.kind !== "ode") {
    return [{ id: "fit", xLabel: ev.input ?? "input", yLabel: out, series, mode: 1, data: [ev.x, ...ys] }];
  }
  const t = ev.t ?? ev.x;
  const plots: PlotSpec[] = [{ id: "trajectories", xLabel: ev.input ?? "t", yLabel: out, series, mode: 1, data: [t, ...ys] }];
  if (dims >= 2) {
    plots.push({
      id: "phase", xLabel: dim(0), yLabel: dim(1), mode: 2,
      series: [{ label: `${out} data`, color: 0, kind: "points" }, { label: `${out} model`, color: 0, kind: "line" }],
      data: [null, [col(ev.y_true, 0), col(ev.y_true, 1)], [col(ev.y_pred, 0), col(ev.y_pred, 1)]],
    });
  }
  return plots;
}
