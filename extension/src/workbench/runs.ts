// Pure helpers of the runs table: order, colours, number formats, the diff as lines.
// Unit-tested in test/runs.test.ts.
import type { RunDiff, RunRow } from "./types";

/** One colour per run, kept for as long as the run is selected (Tableau 10). */
export const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/** Colours for the selected runs: a run keeps the colour it had; new ones take the first free. */
export function assignColors(selected: string[], before: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const id of selected) if (before[id]) { out[id] = before[id]; used.add(before[id]); }
  let i = 0;
  for (const id of selected) {
    if (out[id]) continue;
    while (i < PALETTE.length && used.has(PALETTE[i])) i++;
    out[id] = PALETTE[i % PALETTE.length] ?? PALETTE[0];
    used.add(out[id]);
    i++;
  }
  return out;
}

/** Pinned runs first, then the newest first (run ids start with their UTC start time). */
export function orderRuns(runs: RunRow[]): RunRow[] {
  return [...runs].sort((a, b) => Number(b.pinned) - Number(a.pinned) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** A loss as a person reads it: 4 significant digits, plain or 1.23e-4. */
export function fmtLoss(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

/** "11:05" for today, else "11-29 11:05" (UTC, as the run ids). */
export function fmtStart(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const hm = d.toISOString().slice(11, 16);
  return d.toISOString().slice(0, 10) === now.toISOString().slice(0, 10) ? hm : `${d.toISOString().slice(5, 10)} ${hm}`;
}

/** Run numbers in start order (1 = the oldest), for runs the person has not named. */
export function runNumbers(runs: RunRow[]): Map<string, number> {
  return new Map([...runs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((r, i) => [r.id, i + 1]));
}

/** The name a person gave the run, else "run N" (else its id). */
export function runLabel(r: RunRow, n?: number): string {
  return r.name || (n ? `run ${n}` : r.id);
}

const show = (v: unknown): string => (v === undefined ? "(unset)" : JSON.stringify(v));

/** A run's parent as a person reads it: "RUN at step N" (the record's parent object). */
const parentText = (v: unknown): string => {
  if (v && typeof v === "object" && "run" in v) {
    const p = v as { run?: unknown; step?: unknown; kind?: unknown };
    return `${p.kind === "resume" ? "resumed from" : "forked from"} ${String(p.run)} at step ${String(p.step)}`;
  }
  return "none";
};

/** The diff of two runs as lines: "+ node mlp2 (MLP)", "~ mlp.widths: [1,32,1] -> [1,64,1]",
 * "steps: 300 -> 500". */
export function diffLines(d: RunDiff): { graph: string[]; hparams: string[] } {
  const g: string[] = [];
  for (const n of d.graph.added) g.push(`+ node ${n.node} (${n.type})`);
  for (const n of d.graph.removed) g.push(`- node ${n.node} (${n.type})`);
  for (const c of d.graph.changed) {
    if (c.type) g.push(`~ ${c.node}: type ${c.type[0]} -> ${c.type[1]}`);
    if (c.label) g.push(`~ ${c.node}: label ${show(c.label[0])} -> ${show(c.label[1])}`);
    for (const [k, [a, b]] of Object.entries(c.params)) g.push(`~ ${c.node}.${k}: ${show(a)} -> ${show(b)}`);
  }
  for (const e of d.graph.edges_added) g.push(`+ edge ${e}`);
  for (const e of d.graph.edges_removed) g.push(`- edge ${e}`);
  // a setting can come twice (the training section's `training.steps` and the run's `steps`)
  const h = [...new Set(d.hparams.map((x) => (x.key === "parent"
    ? `parent: ${parentText(x.a)} -> ${parentText(x.b)}`
    : `${x.key.replace(/^training\./, "")}: ${show(x.a)} -> ${show(x.b)}`)))];
  return { graph: g, hparams: h };
}

/** What the editor knows of the run going now, ahead of its kept record: its id
 * (status.run), state and step (status), and its streamed losses. */
export interface LiveRun { run: string | null; state: string; step: number; loss: number | null; best: number | null }

const GOING = ["starting", "idle", "running", "paused"];

/** The table's rows with the run going now brought up to date: its step, state, last and
 * best loss as they stream (its record on disk is written every few seconds). */
export function withLive(runs: RunRow[], live: LiveRun): RunRow[] {
  if (!live.run || !GOING.includes(live.state)) return runs;
  return runs.map((r) => {
    if (r.id !== live.run) return r;
    const best = [r.best_loss, live.best].filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    return {
      ...r, live: true, state: live.state === "paused" ? "paused" : "running",
      step: Math.max(r.step ?? 0, live.step),
      loss: live.loss ?? r.loss,
      best_loss: best.length ? Math.min(...best) : r.best_loss,
    };
  });
}
