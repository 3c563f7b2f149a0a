// The small live plot a probed edge carries: per component its mean over the steps, with
// a mean +- std band when the kernel summarised a batch (trainingView.ts probeColumns).
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import { probeColumns, type ProbeSeries } from "../trainingView";
import { Chart, axis, type Data } from "./chart";
import { PALETTE, withAlpha } from "./theme";

function options(s: ProbeSeries) {
  const banded = s.std.some((r) => r);
  return (size: { width: number; height: number }): uPlot.Options => {
    const series: uPlot.Series[] = [{ label: "step" }];
    const bands: uPlot.Band[] = [];
    s.labels.forEach((l, c) => {
      const colour = PALETTE[c % PALETTE.length];
      series.push({ label: l, stroke: colour, width: 2, points: { show: false } });
      if (banded) {
        const lo = series.length;
        series.push({ label: `${l} - std`, stroke: withAlpha(colour, 0.35), width: 1, points: { show: false } });
        series.push({ label: `${l} + std`, stroke: withAlpha(colour, 0.35), width: 1, points: { show: false } });
        bands.push({ series: [lo + 1, lo], fill: withAlpha(colour, 0.18) });
      }
    });
    return {
      ...size, series, bands, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ ...axis(""), size: 22, labelSize: 0 }, { ...axis(""), size: 40, labelSize: 0 }],
    };
  };
}

export function ProbePlot({ series }: { series: ProbeSeries }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<{ chart: Chart; labels: string; banded: boolean } | null>(null);
  useEffect(() => {
    if (!box.current) return;
    const data = probeColumns(series) as unknown as Data;
    const labels = series.labels.join();
    const banded = series.std.some((r) => r);
    const c = chart.current;
    if (!c || c.labels !== labels || c.banded !== banded) {
      c?.chart.destroy();
      chart.current = { chart: new Chart(box.current, options(series), data), labels, banded };
    } else c.chart.u?.setData(data);
  }, [series]);
  useEffect(() => () => { chart.current?.chart.destroy(); chart.current = null; }, []);
  return (
    <div className="dw-probe-plot" data-points={series.step.length}>
      <div className="dw-probe-head">
        {series.labels.map((l, c) => <span key={l} style={{ color: PALETTE[c % PALETTE.length] }}>{l}</span>)}
        <span className="dw-probe-band">{series.std.some((r) => r) ? "mean \u00b1 std" : "values"}</span>
      </div>
      {series.error ? <div className="dw-probe-error">{series.error}</div> : null}
      <div className="dw-probe-chart" ref={box} />
    </div>
  );
}
