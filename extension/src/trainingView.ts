// What a run shows on the graph (kernel_lib/diffwire/widget/live.py, probes.py): the
// gradient-flow check (weights without gradient per node, detached edges with the reason),
// per-node statistics, and the samples of probed edges. Pure functions over the events.
import type { KernelEvent, LinkMatrix } from "./types";

/** One probed edge's samples: a step column, and per component mean and std (std null
 * when the values themselves were sent). */
export interface ProbeSeries { labels: string[]; step: number[]; mean: number[][]; std: (number[] | null)[]; error?: string }

export interface TrainingView {
  /** node id -> its weights that got no gradient in the first backward */
  noGrad: Record<string, string[]>;
  /** edge id -> why no gradient flows back along it */
  detached: Record<string, string>;
  /** node id -> output mean/std, gradient norm of its weights, block metrics (nfe) */
  stats: Record<string, Record<string, number | null>>;
  statsStep: number | null;
  probes: Record<string, ProbeSeries>;
  /** node id -> its link matrix (a DataflowMatrix: magnitudes and the pruning mask) */
  links: Record<string, LinkMatrix>;
}

export const EMPTY_VIEW: TrainingView = { noGrad: {}, detached: {}, stats: {}, statsStep: null, probes: {}, links: {} };

/** At most this many samples per probe stay on the plot (the newest). */
export const PROBE_POINTS = 400;

export type ViewEvent = Extract<KernelEvent, { event: "grad_check" | "graph_stats" | "probe" | "reset_metrics" | "link_matrix" }>;

export function isViewEvent(ev: KernelEvent): ev is ViewEvent {
  return ev.event === "grad_check" || ev.event === "graph_stats" || ev.event === "probe" || ev.event === "reset_metrics" || ev.event === "link_matrix";
}

/** The view after one event; the same object when nothing it shows changed. */
export function applyEvent(v: TrainingView, ev: ViewEvent, probed: ReadonlySet<string>): TrainingView {
  switch (ev.event) {
    case "reset_metrics": {
      // a new run: its own check and statistics; the probes stay, emptied
      const probes: Record<string, ProbeSeries> = {};
      for (const k of Object.keys(v.probes)) probes[k] = { labels: [], step: [], mean: [], std: [] };
      return { ...EMPTY_VIEW, probes };
    }
    case "grad_check":
      return { ...v, noGrad: ev.no_grad, detached: Object.fromEntries(ev.detached.map((d) => [d.edge, d.reason])) };
    case "graph_stats":
      return { ...v, stats: ev.nodes, statsStep: ev.step };
    case "link_matrix":
      return { ...v, links: { ...v.links, ...ev.nodes } };
    case "probe": {
      if (!probed.has(ev.edge)) return v; // removed while its samples were on the way
      return { ...v, probes: { ...v.probes, [ev.edge]: appendProbe(v.probes[ev.edge], ev) } };
    }
  }
}

export function appendProbe(s: ProbeSeries | undefined, ev: Extract<KernelEvent, { event: "probe" }>, limit = PROBE_POINTS): ProbeSeries {
  const base = s && (!ev.labels.length || s.labels.join() === ev.labels.join()) ? s : { labels: ev.labels, step: [], mean: [], std: [] };
  const cut = (a: number) => Math.max(0, a - limit);
  const step = [...base.step, ...ev.step];
  const mean = [...base.mean, ...ev.mean];
  const std = [...base.std, ...ev.std];
  const from = cut(step.length);
  return { labels: base.labels.length ? base.labels : ev.labels, step: step.slice(from), mean: mean.slice(from), std: std.slice(from), ...(ev.error ? { error: ev.error } : s?.error ? { error: s.error } : {}) };
}

/** A number in at most 4 significant characters: 0.12, 3.1e-3, 1.2e+4. */
export function short(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  const a = Math.abs(x);
  if (a === 0) return "0";
  if (a >= 0.01 && a < 1000) return String(Number(x.toPrecision(2)));
  return x.toExponential(1).replace("e+", "e");
}

/** The badge a node shows while a run streams: output mean and std, the gradient norm of
 * its weights, and other numbers its block reports (an ODE solve's `nfe`). */
export function badgeParts(s: Record<string, number | null> | undefined): [string, string][] {
  if (!s) return [];
  const out: [string, string][] = [];
  if ("mean" in s) out.push(["\u03bc", short(s.mean)]);
  if ("std" in s) out.push(["\u03c3", short(s.std)]);
  if ("grad_norm" in s) out.push(["|\u2207|", short(s.grad_norm)]);
  for (const [k, x] of Object.entries(s)) if (!["mean", "std", "grad_norm"].includes(k)) out.push([k, short(x)]);
  return out;
}

/** Rows of uPlot data for a probe: x, then per component its mean, mean-std, mean+std. */
export function probeColumns(s: ProbeSeries): number[][] {
  const cols: number[][] = [s.step];
  s.labels.forEach((_, c) => {
    const m = s.mean.map((r) => r[c]);
    cols.push(m);
    if (s.std.some((r) => r)) {
      cols.push(s.mean.map((r, i) => r[c] - (s.std[i]?.[c] ?? 0)));
      cols.push(s.mean.map((r, i) => r[c] + (s.std[i]?.[c] ?? 0)));
    }
  });
  return cols;
}
