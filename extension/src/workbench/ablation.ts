// The Ablation panel's messages and the pure helpers its views use. Mirrors
// kernel_lib/diffwire/widget/ablation.py (README.md there, "Ablation").
import type { GraphDoc } from "../types";

export type AblationCommandName = "ablation_terms" | "ablation_start" | "ablation_stop" | "ablation_open";

export interface AblationTerm { path: string; label: string; marked: boolean; expr: string }
export interface KeptAblation { id: string; path: string; terms: string[] | null; seeds: number[] | null; started: string | null }

/** A number from the kernel: non-finite values come as "inf", "-inf", "nan". */
export type Num = number | string | null;

export interface AblationRow {
  variant: string;
  kind: string;
  fraction: number;
  n: number;
  failures: number;
  reasons: string[];
  [metric: string]: unknown;
}

export interface AblationResult {
  id: string | null;
  meta: { terms?: string[]; seeds?: number[]; budget?: Record<string, number>; fractions?: number[]; truth?: boolean; wall_s?: number; started?: string };
  summary: AblationRow[];
  columns: [string, string][];
}

export interface AblationProgress { done: number; total: number | null; variant: string | null; failure: string | null }

export type AblationEvent =
  | { event: "ablation_terms"; terms: AblationTerm[]; note: string | null; kept: KeptAblation[]; running: boolean; defaults: { seeds: number; budget: number; fractions: number[] } }
  | ({ event: "ablation_progress" } & AblationProgress)
  | ({ event: "ablation_result" } & AblationResult)
  | { event: "ablation_error"; message: string; error?: { node?: string | null; port?: string | null } };

export function asAblationEvent(ev: { event: string }): AblationEvent | null {
  return ev.event.startsWith("ablation_") ? (ev as unknown as AblationEvent) : null;
}

export function num(x: unknown): number {
  if (typeof x === "number") return x;
  if (x === "inf") return Infinity;
  if (x === "-inf") return -Infinity;
  return NaN;
}

/** A table cell: 3 significant digits, "diverged" for inf, "-" for missing. */
export function fmt(x: unknown): string {
  if (typeof x === "string" && !["inf", "-inf", "nan"].includes(x)) return x;
  const v = num(x);
  if (Number.isNaN(v)) return "-";
  if (!Number.isFinite(v)) return "diverged";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** The cell of a summary column; "_spread" columns show the min-max over seeds. */
export function cell(row: AblationRow, key: string): string {
  if (key.endsWith("_spread")) {
    const m = key.slice(0, -"_spread".length);
    const lo = num(row[`${m}_lo`]);
    if (Number.isNaN(lo)) return "-";
    return `${fmt(row[`${m}_lo`])} – ${fmt(row[`${m}_hi`])}`;
  }
  return fmt(row[key]);
}

export interface FigurePoint { variant: string; kind: string; horizon: string; median: number; lo: number; hi: number }

/** Extrapolation error per variant (the largest data fraction), with its spread over seeds. */
export function figurePoints(summary: AblationRow[], horizons: string[] = ["extrap2x_rmse", "extrap10x_rmse"]): FigurePoint[] {
  if (!summary.length) return [];
  const full = Math.max(...summary.map((r) => r.fraction));
  const out: FigurePoint[] = [];
  for (const r of summary.filter((x) => x.fraction === full)) {
    for (const h of horizons) {
      out.push({ variant: r.variant, kind: r.kind, horizon: h, median: num(r[h]), lo: num(r[`${h}_lo`]), hi: num(r[`${h}_hi`]) });
    }
  }
  return out;
}

/** Log-scale bounds over the finite, positive values (a decade of margin when flat). */
export function logRange(values: number[]): [number, number] | null {
  const ok = values.filter((v) => Number.isFinite(v) && v > 0);
  if (!ok.length) return null;
  let lo = Math.log10(Math.min(...ok));
  let hi = Math.log10(Math.max(...ok));
  if (hi - lo < 1) { lo -= 0.5; hi += 0.5; }
  return [Math.floor(lo), Math.ceil(hi)];
}

/** Settings typed by the person, checked before they go to the kernel (which checks again). */
export function parseFractions(text: string): number[] | null {
  const parts = text.split(/[ ,]+/).filter(Boolean).map(Number);
  return parts.length && parts.every((f) => f > 0 && f <= 1) ? parts : null;
}

/** A term's `ablatable` flag as the document holds it now (the kernel's list may lag an
 * edit by a message): the node at a kernel path ("solve/field/known"). */
export function markedIn(doc: GraphDoc, path: string): boolean | undefined {
  const parts = path.split("/");
  let g: GraphDoc | undefined = doc;
  for (let i = 0; g && i + 1 < parts.length - 1; i += 2) {
    g = g.nodes.find((n) => n.id === parts[i])?.body?.[parts[i + 1]];
  }
  const node = g?.nodes.find((n) => n.id === parts[parts.length - 1]);
  return node ? Boolean(node.params.ablatable) : undefined;
}

export interface FractionSeries { variant: string; points: [number, number][] }

/** Median `key` error per data fraction, one series per variant (finite points only). */
export function fractionSeries(summary: AblationRow[], key = "interp_rmse"): FractionSeries[] {
  const out: FractionSeries[] = [];
  for (const r of summary) {
    let s = out.find((x) => x.variant === r.variant);
    if (!s) { s = { variant: r.variant, points: [] }; out.push(s); }
    const v = num(r[key]);
    if (Number.isFinite(v) && v > 0) s.points.push([r.fraction, v]);
  }
  for (const s of out) s.points.sort((a, b) => a[0] - b[0]);
  return out;
}
