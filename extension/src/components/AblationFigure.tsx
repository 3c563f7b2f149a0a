// Extrapolation error per variant, with its spread over seeds: one row per variant, a
// dot at the median and a bar from the best to the worst seed, on a log axis; 2x and 10x
// the training span in two colours. Diverged variants are named at the right edge.
import { figurePoints, logRange, type AblationRow } from "../workbench/ablation";

const HORIZONS: [string, string, string][] = [
  ["extrap2x_rmse", "2x span", "#1f77b4"],
  ["extrap10x_rmse", "10x span", "#d62728"],
];

export function AblationFigure({ summary }: { summary: AblationRow[] }) {
  const pts = figurePoints(summary, HORIZONS.map((h) => h[0]));
  const variants = [...new Set(pts.map((p) => p.variant))];
  const range = logRange(pts.flatMap((p) => [p.median, p.lo, p.hi]));
  if (!variants.length || !range) return <div className="dw-wb-empty">No finite extrapolation errors to draw.</div>;
  const left = 128, right = 10, rowH = 18, top = 18, width = 340;
  const height = top + variants.length * rowH + 28;
  const plotW = width - left - right;
  const [lo, hi] = range;
  const x = (v: number) => left + ((Math.log10(v) - lo) / (hi - lo)) * plotW;
  const clampX = (v: number) => (Number.isFinite(v) && v > 0 ? Math.min(Math.max(x(v), left), left + plotW) : left + plotW);
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  return (
    <svg className="dw-ablation-figure" data-testid="ablation-figure" viewBox={`0 0 ${width} ${height}`} width="100%" role="img"
      aria-label="extrapolation error per variant, median and spread over seeds">
      {HORIZONS.map(([, name, color], i) => (
        <g key={name} transform={`translate(${left + i * 80},10)`}>
          <circle r={3.5} cx={0} cy={-3} fill={color} /><text x={7} y={0} fontSize={10}>{name}</text>
        </g>
      ))}
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(10 ** t)} x2={x(10 ** t)} y1={top} y2={height - 24} stroke="var(--dw-border, #ccc)" />
          <text x={x(10 ** t)} y={height - 12} fontSize={9} textAnchor="middle">{`1e${t}`}</text>
        </g>
      ))}
      <text x={left + plotW / 2} y={height - 1} fontSize={9} textAnchor="middle">RMSE vs truth (log)</text>
      {variants.map((v, i) => {
        const y = top + i * rowH + rowH / 2;
        return (
          <g key={v} data-variant={v}>
            <text x={left - 4} y={y + 3} fontSize={10} textAnchor="end">{v.length > 21 ? `${v.slice(0, 20)}…` : v}<title>{v}</title></text>
            {HORIZONS.map(([key, name, color], j) => {
              const p = pts.find((q) => q.variant === v && q.horizon === key);
              if (!p) return null;
              const dy = y + (j ? 3 : -3);
              if (!Number.isFinite(p.median)) {
                return <text key={key} x={left + plotW} y={dy + 3} fontSize={8} textAnchor="end" fill={color}>diverged</text>;
              }
              return (
                <g key={key}>
                  <line x1={clampX(p.lo)} x2={clampX(p.hi)} y1={dy} y2={dy} stroke={color} strokeWidth={1.5} />
                  <circle cx={x(p.median)} cy={dy} r={3} fill={color}><title>{`${v}, ${name}: median ${p.median.toPrecision(3)} (seeds ${p.lo.toPrecision(3)} to ${p.hi.toPrecision(3)})`}</title></circle>
                </g>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}
