// Numbers on the live plots: plain and short on the axes (1e-4, not 100µ; 0.01, not 10m),
// exact in the hover legend.

/** An axis tick: plain decimals from 0.001 to 99,999, otherwise mantissa-e-exponent. */
export function tick(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return ""; // a split uPlot left out for space
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(6)));
  const e = Math.floor(Math.log10(a) + 1e-9);
  const m = Number((v / 10 ** e).toPrecision(3));
  return m === 1 ? `1e${e}` : m === -1 ? `-1e${e}` : `${m}e${e}`;
}

/** A value in the hover legend: six significant digits. */
export function exact(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  if (v !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(5).replace(/\.?0+e/, "e").replace("e+", "e");
  return String(Number(v.toPrecision(6)));
}

/** Ticks of a log axis: the decades inside [min, max]; when fewer than two decades
 * fit, 1-2-5 steps inside them, so a narrow range still has labels. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [];
  const lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
  const out: number[] = [];
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let e = lo; e <= hi; e += step) {
    const d = 10 ** e;
    if (d >= min * (1 - 1e-9) && d <= max * (1 + 1e-9)) out.push(Number(d.toPrecision(1)));
  }
  if (out.length >= 2) return out;
  const fine: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of [1, 2, 5]) {
      const d = Number((m * 10 ** e).toPrecision(1));
      if (d >= min * (1 - 1e-9) && d <= max * (1 + 1e-9)) fine.push(d);
    }
  }
  return fine.length >= 2 ? fine : [min, max].map((v) => Number(v.toPrecision(2)));
}
