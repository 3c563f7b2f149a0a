// The workbench's state: what the kernel said about training and runs, kept from its
// events; and the commands the panel sends. Components only render this.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Transport } from "../transport";
import type { GraphErrorInfo } from "../types";
import { assignColors, runLabel, runNumbers } from "../workbench/runs";
import {
  asWorkbenchEvent, type DataFile, type KernelVar, type OptimizerNode, type RunDiff, type RunRow,
  type TrainingCatalog, type WorkbenchCommandName,
} from "../workbench/types";

export interface Workbench {
  catalog: TrainingCatalog | null;
  files: DataFile[];
  vars: KernelVar[];
  errors: GraphErrorInfo[];
  inputs: string[];
  outputs: string[];
  optimizers: OptimizerNode[];
  runs: RunRow[];
  /** The runs folder's name; null: this editor keeps no runs (no document, no `out`). */
  folder: string | null | undefined;
  selected: string[];
  colors: Record<string, string>;
  diff: RunDiff | null;
  deleted: string | null;
  /** Train was pressed on a document without a training section. */
  needed: string | null;
  send: (cmd: WorkbenchCommandName, args?: Record<string, unknown>) => void;
  select: (ids: string[]) => void;
  dismissNeeded: () => void;
}

export function useWorkbench(transport: Transport): Workbench {
  const [catalog, setCatalog] = useState<TrainingCatalog | null>(null);
  const [files, setFiles] = useState<DataFile[]>([]);
  const [vars, setVars] = useState<KernelVar[]>([]);
  const [errors, setErrors] = useState<GraphErrorInfo[]>([]);
  const [form, setForm] = useState<{ inputs: string[]; outputs: string[]; optimizers: OptimizerNode[] }>({ inputs: [], outputs: [], optimizers: [] });
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [folder, setFolder] = useState<string | null | undefined>(undefined);
  const [selected, setSelected] = useState<string[]>([]);
  const [colors, setColors] = useState<Record<string, string>>({});
  const [diff, setDiff] = useState<RunDiff | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const [needed, setNeeded] = useState<string | null>(null);
  const runsRef = useRef(runs);
  runsRef.current = runs;
  const colorsRef = useRef(colors);
  colorsRef.current = colors;

  const send = useCallback((cmd: WorkbenchCommandName, args: Record<string, unknown> = {}) => {
    transport.send({ cmd, ...args });
  }, [transport]);

  useEffect(() => transport.onEvent((raw) => {
    const ev = asWorkbenchEvent(raw);
    if (!ev) return;
    switch (ev.event) {
      case "training_catalog": setCatalog({ generators: ev.generators, losses: ev.losses, fields: ev.fields }); break;
      case "data_files": setFiles(ev.files); break;
      case "kernel_vars": setVars(ev.vars); break;
      case "training_errors":
        setErrors(ev.errors);
        if (ev.inputs) setForm({ inputs: ev.inputs, outputs: ev.outputs ?? [], optimizers: ev.optimizers ?? [] });
        break;
      case "training_needed": setNeeded(ev.message); break;
      case "runs":
        setRuns(ev.runs);
        setFolder(ev.folder);
        setSelected((s) => s.filter((id) => ev.runs.some((r) => r.id === id)));
        break;
      case "run_diff": setDiff(ev); break;
      case "run_deleted": setDeleted(ev.id); break;
      default: break;
    }
  }), [transport]);

  // what the panel needs once the kernel is there (and again on a new kernel's hello)
  // (the block catalog arriving is the sign that a kernel answers: asking earlier would
  // only get "no kernel connection" errors)
  useEffect(() => {
    const ask = () => {
      for (const c of ["training_catalog", "data_files", "kernel_vars", "check_training", "runs"] as const) send(c);
    };
    if (transport.readCatalog().blocks.length) ask();
    return transport.onCatalog(ask);
  }, [transport, send]);

  // a run that ends or starts: the table comes as a `runs` event; overlays follow selection
  const select = useCallback((ids: string[]) => {
    const next = assignColors(ids, colorsRef.current);
    setSelected(ids);
    setColors(next);
    setDiff(null);
    const numbers = runNumbers(runsRef.current);
    const names = Object.fromEntries(ids.map((id) => {
      const r = runsRef.current.find((x) => x.id === id);
      return [id, r ? runLabel(r, numbers.get(id)) : id];
    }));
    send("run_series", { ids, colors: next, names });
    if (ids.length === 2) send("run_diff", { a: ids[0], b: ids[1] });
  }, [send]);

  return {
    catalog, files, vars, errors, ...form, runs, folder, selected, colors, diff, deleted, needed,
    send, select, dismissNeeded: () => setNeeded(null),
  };
}
