// The workbench's state: what the kernel said about training and runs, kept from its
// events; and the commands the panel sends. Components only render this.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Transport } from "../transport";
import type { GraphErrorInfo, RunStatus } from "../types";
import { assignColors, runLabel, runNumbers, withLive, type LiveRun } from "../workbench/runs";
import {
  asWorkbenchEvent, type DataFile, type KernelVar, type RunDiff, type RunRow,
  type TrainingCatalog, type WorkbenchCommandName,
} from "../workbench/types";

export interface Workbench {
  catalog: TrainingCatalog | null;
  files: DataFile[];
  vars: KernelVar[];
  errors: GraphErrorInfo[];
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
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [folder, setFolder] = useState<string | null | undefined>(undefined);
  const [selected, setSelected] = useState<string[]>([]);
  const [colors, setColors] = useState<Record<string, string>>({});
  const [diff, setDiff] = useState<RunDiff | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const [needed, setNeeded] = useState<string | null>(null);
  const [live, setLive] = useState<LiveRun>(() => {
    const st = transport.readStatus();
    return { run: st.run ?? null, state: st.state, step: st.step, loss: null, best: null };
  });
  const runsRef = useRef(runs);
  runsRef.current = runs;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  /** the run a Fork of this view was asked from: its fork joins the selection */
  const forkedFrom = useRef<string | null>(null);
  const asked = useRef<string | null>(null);
  const colorsRef = useRef(colors);
  colorsRef.current = colors;

  const send = useCallback((cmd: WorkbenchCommandName, args: Record<string, unknown> = {}) => {
    if (cmd === "fork" && typeof args.id === "string") forkedFrom.current = args.id;
    transport.send({ cmd, ...args });
  }, [transport]);

  // the run going now: its step and state from status, its losses from the stream
  useEffect(() => {
    const take = (st: RunStatus) => setLive((l) => {
      const run = st.run ?? null;
      const fresh = run !== l.run;
      if (!fresh && l.state === st.state && l.step === st.step) return l;
      return { run, state: st.state, step: st.step, loss: fresh ? null : l.loss, best: fresh ? null : l.best };
    });
    const off = transport.onStatus(take);
    take(transport.readStatus()); // a change between the first render and this effect
    return off;
  }, [transport]);
  useEffect(() => transport.onEvent((ev) => {
    if (ev.event === "reset_metrics") setLive((l) => ({ ...l, loss: null, best: null }));
    else if (ev.event === "metrics") {
      const ys = (ev.values.loss ?? []).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      if (!ys.length) return;
      const low = Math.min(...ys);
      setLive((l) => ({ ...l, loss: ys[ys.length - 1], best: l.best === null ? low : Math.min(l.best, low) }));
    }
  }), [transport]);
  // a run this table has not listed yet (it started from another view, or a command): ask
  useEffect(() => {
    if (live.run && folder !== undefined && asked.current !== live.run && !runs.some((r) => r.id === live.run)) {
      asked.current = live.run;
      send("runs");
    }
  }, [live.run, runs, folder, send]);

  useEffect(() => transport.onEvent((raw) => {
    const ev = asWorkbenchEvent(raw);
    if (!ev) return;
    switch (ev.event) {
      case "training_catalog": setCatalog({ generators: ev.generators, losses: ev.losses, fields: ev.fields, given: ev.given }); break;
      case "data_files": setFiles(ev.files); break;
      case "kernel_vars": setVars(ev.vars); break;
      // (the rows it is about come from the document shown: workbench/form.ts)
      case "training_errors": setErrors(ev.errors); break;
      case "training_needed": setNeeded(ev.message); break;
      case "runs": {
        setRuns(ev.runs);
        setFolder(ev.folder);
        setSelected((s) => s.filter((id) => ev.runs.some((r) => r.id === id)));
        // a fork asked from this view overlays with its parent while it runs
        const parent = forkedFrom.current;
        const fork = parent ? ev.runs.find((r) => r.parent === parent && r.live) : undefined;
        if (fork && parent) {
          forkedFrom.current = null;
          runsRef.current = ev.runs;
          const keep = selectedRef.current.filter((id) => id !== parent && ev.runs.some((r) => r.id === id));
          window.setTimeout(() => selectRef.current([...keep, parent, fork.id]), 0);
        }
        break;
      }
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
  const selectRef = useRef(select);
  selectRef.current = select;
  const dismissNeeded = useCallback(() => setNeeded(null), []);

  return {
    catalog, files, vars, errors, runs: withLive(runs, live), folder, selected, colors, diff, deleted, needed,
    send, select, dismissNeeded,
  };
}
