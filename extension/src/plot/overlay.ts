// What the loss plot draws: the current run's metrics and the kept runs selected in the runs
// table, as lines with one colour per run (the colour the table gave it), and the debiased
// EMA that smooths every line (TensorBoard's smoothing). Pure: unit-tested in
// test/overlay.test.ts; LossPlot.tsx turns the lines into uPlot series.
import { align, type Envelope } from "./series";

/** One scalar series of a kept run: steps and values (bucket means for long runs). */
export interface KeptSeries { step: number[]; value: number[] }

/** A selected run as the kernel's `run_series` event gives it. */
export interface Overlay { id: string; name: string; color: string; series: Record<string, KeptSeries> }

/** The metrics the plot draws, in this order, and what the legend calls them. */
export const METRICS = ["loss", "val_loss"];
export const METRIC_LABELS: Record<string, string> = { loss: "loss", val_loss: "validation loss" };

/** A line of the plot: a metric of a run. `band`: drawn with its min/max envelope (the
 * current run's buckets); `run`: the run it belongs to (null: the current run, unnamed). */
export interface Line {
  key: string;
  metric: string;
  label: string;
  color: string;
  run: string | null;
  band: boolean;
  env: Envelope;
}

const FALLBACK = "#888888";

export interface RunSeriesEvent { runs: Record<string, Record<string, KeptSeries>>; colors?: Record<string, string>; names?: Record<string, string> }

/** The selected runs of a `run_series` event, in the order the event lists them. */
export function overlaysOf(ev: RunSeriesEvent): Overlay[] {
  return Object.entries(ev.runs ?? {}).map(([id, series]) => ({
    id, name: ev.names?.[id] || id, color: ev.colors?.[id] || FALLBACK, series: series ?? {},
  }));
}

const rank = (m: string) => { const i = METRICS.indexOf(m); return i < 0 ? METRICS.length : i; };
const byMetric = (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
const label = (m: string) => METRIC_LABELS[m] ?? m;

function kept(s: KeptSeries): Envelope {
  const x: number[] = [], y: number[] = [];
  const n = Math.min(s.step?.length ?? 0, s.value?.length ?? 0);
  for (let i = 0; i < n; i++) {
    if (typeof s.step[i] !== "number" || typeof s.value[i] !== "number") continue;
    if (x.length && s.step[i] <= x[x.length - 1]) continue; // steps only grow
    x.push(s.step[i]);
    y.push(s.value[i]);
  }
  return { x, y, lo: y, hi: y };
}

/**
 * The lines to draw.
 *
 * - Nothing selected: the current run's metrics in the plot palette ("loss",
 *   "validation loss"), as the live panel always drew them.
 * - Runs selected: each in its colour, labelled "NAME loss". The current run, when it is
 *   one of them (`run` is its id) and has points here, is drawn from the live stream (its
 *   newest points exact, and it moves) instead of its kept copy; when it is not selected it
 *   stays on the plot in a neutral colour, so a live run never vanishes.
 */
export function plotLines(current: Map<string, Envelope>, run: string | null, overlays: Overlay[],
  palette: string[], neutral = FALLBACK): Line[] {
  const out: Line[] = [];
  const metrics = [...current.keys()].filter((m) => current.get(m)!.x.length).sort(byMetric);
  if (!overlays.length) {
    metrics.forEach((m, i) => out.push({ key: `cur:${m}`, metric: m, label: label(m), color: palette[i % palette.length], run: null, band: true, env: current.get(m)! }));
    return out;
  }
  const mine = overlays.find((o) => o.id === run);
  const live = mine !== undefined && metrics.length > 0;
  if (!mine && metrics.length) {
    for (const m of metrics) out.push({ key: `cur:${m}`, metric: m, label: `current run ${label(m)}`, color: neutral, run: null, band: true, env: current.get(m)! });
  }
  for (const o of overlays) {
    const streamed = live && o === mine ? metrics : [];
    const all = new Set([...streamed, ...Object.keys(o.series).filter((k) => METRICS.includes(k))]);
    for (const m of [...all].sort(byMetric)) {
      const fromStream = streamed.includes(m);
      const env = fromStream ? current.get(m)! : kept(o.series[m]);
      if (env.x.length) out.push({ key: `${o.id}:${m}`, metric: m, label: `${o.name} ${label(m)}`, color: o.color, run: o.id, band: fromStream, env });
    }
  }
  return out;
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight `w` in [0, 1),
 * divided by 1 - w^n so the first points are not pulled towards zero. Gaps (null, NaN)
 * stay gaps and do not count.
 */
export function ema(ys: readonly (number | null)[], w: number): (number | null)[] {
  if (!(w > 0)) return ys.slice();
  const out: (number | null)[] = [];
  let acc = 0, n = 0;
  for (const y of ys) {
    if (y === null || !Number.isFinite(y)) { out.push(null); continue; }
    acc = acc * w + (1 - w) * y;
    n++;
    out.push(acc / (1 - w ** n));
  }
  return out;
}

/** uPlot's data for `lines`: the union of their steps, then per line the smoothed values,
 * the raw values and, for a band, its min and max. `clean` drops what the axis cannot show
 * (a log axis: values <= 0), applied after smoothing. */
export function lineData(lines: Line[], smoothing: number, clean: (v: number | null) => number | null = (v) => v) {
  const cols = lines.map((l) => {
    const smooth = ema(l.env.y, smoothing).map(clean);
    const raw = l.env.y.map(clean);
    return l.band ? [smooth, raw, l.env.lo.map(clean), l.env.hi.map(clean)] : [smooth, raw];
  });
  return align(lines.map((l) => l.env.x), cols);
}

/** Where each line's columns start in `lineData`'s output (after the x column). */
export function columnsOf(lines: Line[]): number[] {
  const at: number[] = [];
  let c = 1;
  for (const l of lines) { at.push(c); c += l.band ? 4 : 2; }
  return at;
}
