// The workbench's messages: the Training panel and the runs table. Mirrors
// kernel_lib/diffwire/widget/workbench.py and train/catalog.py (documented in
// kernel_lib/diffwire/widget/README.md, "Workbench").
import type { GraphErrorInfo, ParamSpec } from "../types";

export type WorkbenchCommandName =
  | "training_catalog" | "data_files" | "kernel_vars" | "check_training"
  | "runs" | "run_series" | "run_diff" | "run_label" | "run_delete" | "run_restore" | "fork";

export interface GeneratorSpec { name: string; doc: string; params: ParamSpec[]; keys: string[] | null }
export interface LossSpec { name: string; doc: string }
export interface TrainingCatalog {
  generators: GeneratorSpec[]; losses: LossSpec[]; fields: ParamSpec[];
  /** what `dw.Editor(train_options=...)` gives in Python (Train uses it over the section) */
  given?: { data: string[]; settings: string[] };
}

export interface DataFile {
  path: string;
  kind: "csv" | "npz" | string;
  size: number;
  columns?: string[];
  rows?: number;
  preview?: (number | null)[][];
  arrays?: { key: string; shape: number[]; dtype: string }[];
  error?: string;
  line?: number;
  column?: string | null;
}

export interface KernelVar { name: string; shape: number[]; dtype: string; kind: string }

export interface OptimizerNode { id: string; kind: string | null; label: string | null }

export interface RunRow {
  id: string;
  name: string;
  pinned: boolean;
  note: string;
  state: string;
  started: string | null;
  step: number | null;
  steps: number | null;
  loss: number | null;
  best_loss: number | null;
  val_loss: number | null;
  checkpoints: number[];
  parent: string | null;
  parent_step: number | null;
  live: boolean;
  error?: string | null;
}

export interface GraphDiff {
  added: { node: string; type: string }[];
  removed: { node: string; type: string }[];
  changed: { node: string; params: Record<string, [unknown, unknown]>; type?: [string, string]; label?: [unknown, unknown] }[];
  edges_added: string[];
  edges_removed: string[];
}

/** `a`/`b` absent: that run did not set the key. */
export interface RunDiff { a: string; b: string; graph: GraphDiff; hparams: { key: string; a?: unknown; b?: unknown }[] }

/** One scalar series of a kept run: steps and values (bucket means for long runs). */
export interface Series { step: number[]; value: number[] }

export type WorkbenchEvent =
  | ({ event: "training_catalog" } & TrainingCatalog)
  | { event: "data_files"; folder: string; files: DataFile[] }
  | { event: "kernel_vars"; vars: KernelVar[] }
  | { event: "training_errors"; errors: GraphErrorInfo[]; inputs?: string[]; outputs?: string[]; optimizers?: OptimizerNode[] }
  | { event: "training_needed"; message: string }
  | { event: "runs"; runs: RunRow[]; folder: string | null }
  | { event: "run_series"; runs: Record<string, Record<string, Series>>; colors?: Record<string, string>; names?: Record<string, string> }
  | { event: "run_diff" } & RunDiff
  | { event: "run_deleted"; id: string };

export function asWorkbenchEvent(ev: { event: string }): WorkbenchEvent | null {
  const known = ["training_catalog", "data_files", "kernel_vars", "training_errors", "training_needed",
    "runs", "run_series", "run_diff", "run_deleted"];
  return known.includes(ev.event) ? (ev as unknown as WorkbenchEvent) : null;
}
