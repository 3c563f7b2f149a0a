// The live panel's predictions plot, as plotly traces and layout (pure; unit-tested).
// Ordinary graphs: model and data against the first input. ODE graphs (`kind: "ode"`):
// trajectories of each state against time on the left, and the phase portrait (state 0
// against state 1) on the right.

export interface PredictionsEvent {
  event: "predictions";
  kind?: "ode";
  x: number[];
  t?: number[];
  y_true: number[][];
  y_pred: number[][];
  step: number;
  output?: string;
}

export interface PlotSpec { data: Record<string, unknown>[]; layout: Record<string, unknown> }

const col = (rows: number[][], d: number) => rows.map((r) => r[d]);

export function predictionPlot(ev: PredictionsEvent): PlotSpec {
  const dims = ev.y_true[0]?.length ?? 0;
  const data: Record<string, unknown>[] = [];
  if (ev.kind !== "ode") {
    for (let d = 0; d < dims; d++) {
      data.push({ type: "scatter", mode: "markers", name: `data ${d}`, x: ev.x, y: col(ev.y_true, d), marker: { size: 4 } });
      data.push({ type: "scatter", mode: "lines", name: `model ${d}`, x: ev.x, y: col(ev.y_pred, d) });
    }
    return { data, layout: {} };
  }
  const t = ev.t ?? ev.x;
  for (let d = 0; d < dims; d++) {
    data.push({ type: "scatter", mode: "markers", name: `data ${d}`, x: t, y: col(ev.y_true, d), marker: { size: 4 }, xaxis: "x", yaxis: "y" });
    data.push({ type: "scatter", mode: "lines", name: `model ${d}`, x: t, y: col(ev.y_pred, d), xaxis: "x", yaxis: "y" });
  }
  const phase = dims >= 2;
  if (phase) {
    data.push({ type: "scatter", mode: "markers", name: "data phase", x: col(ev.y_true, 0), y: col(ev.y_true, 1), marker: { size: 4 }, xaxis: "x2", yaxis: "y2" });
    data.push({ type: "scatter", mode: "lines", name: "model phase", x: col(ev.y_pred, 0), y: col(ev.y_pred, 1), xaxis: "x2", yaxis: "y2" });
  }
  const layout: Record<string, unknown> = phase
    ? {
        xaxis: { domain: [0, 0.56], title: { text: "t" } },
        yaxis: { anchor: "x" },
        xaxis2: { domain: [0.66, 1], anchor: "y2", title: { text: "state 0" } },
        yaxis2: { anchor: "x2", title: { text: "state 1" } },
      }
    : { xaxis: { title: { text: "t" } } };
  return { data, layout };
}
