// Error vs fraction of the training data, one line per variant (median over seeds, log
// axis): drawn when the ablation ran more than one data fraction.
import { fractionSeries, logRange, type AblationRow } from "../workbench/ablation";

const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

export function AblationFractionFigure({ summary, metric = "interp_rmse", label = "interpolation RMSE" }: { summary: AblationRow[]; metric?: string; label?: string }) {
  const fracs = [...new Set(summary.map((r) => r.fraction))].sort((a, b) => a - b);
  if (fracs.length < 2) return null;
  const series = fractionSeries(summary, metric);
  const range = logRange(series.flatMap((s) => s.points.map((p) => p[1])));
  if (!range) return null;
  const left = 34, right = 8, top = 8, width = 340, plotH = 120;
  const legendRows = Math.ceil(series.length / 2);
  const height = top + plotH + 30 + legendRows * 12;
  const plotW = width - left - right;
  const [lo, hi] = range;
  const x = (f: number) => left + ((f - fracs[0]) / (fracs[fracs.length - 1] - fracs[0])) * plotW;
  const y = (v: number) => top + plotH - ((Math.log10(v) - lo) / (hi - lo)) * plotH;
  return (
    <svg className="dw-ablation-figure" data-testid="ablation-fraction-figure" viewBox={`0 0 ${width} ${height}`} width="100%" role="img"
      aria-label={`${label} vs fraction of the training data`}>
      {Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).map((t) => (
        <g key={t}>
          <line x1={left} x2={left + plotW} y1={y(10 ** t)} y2={y(10 ** t)} stroke="var(--dw-border, #ccc)" />
          <text x={left - 3} y={y(10 ** t) + 3} fontSize={9} textAnchor="end">{`1e${t}`}</text>
        </g>
      ))}
      {fracs.map((f) => <text key={f} x={x(f)} y={top + plotH + 11} fontSize={9} textAnchor="middle">{f}</text>)}
      <text x={left + plotW / 2} y={top + plotH + 22} fontSize={9} textAnchor="middle">fraction of training points; {label} (median)</text>
      {series.map((s, i) => (
        <g key={s.variant} data-variant={s.variant}>
          <polyline fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={1.5}
            points={s.points.map(([f, v]) => `${x(f)},${y(v)}`).join(" ")} />
          {s.points.map(([f, v]) => <circle key={f} cx={x(f)} cy={y(v)} r={2.5} fill={COLORS[i % COLORS.length]}><title>{`${s.variant} at ${f}: ${v.toPrecision(3)}`}</title></circle>)}
          <g transform={`translate(${left + (i % 2) * (plotW / 2)},${top + plotH + 34 + Math.floor(i / 2) * 12})`}>
            <rect width={8} height={3} y={-4} fill={COLORS[i % COLORS.length]} />
            <text x={11} y={0} fontSize={9}>{s.variant.length > 26 ? `${s.variant.slice(0, 25)}…` : s.variant}</text>
          </g>
        </g>
      ))}
    </svg>
  );
}
