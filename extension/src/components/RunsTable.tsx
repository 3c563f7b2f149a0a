// The document's kept runs: a table fed by the kernel's run store (pinned first, newest
// next). Selected runs get one colour each and their curves go to the plots as a
// `run_series` event; two selected runs show what differed between them.
import { useEffect, useState } from "react";
import type { Workbench } from "../hooks/useWorkbench";
import { diffLines, fmtLoss, fmtStart, orderRuns, runLabel, runNumbers } from "../workbench/runs";
import type { RunRow } from "../workbench/types";

function RunActions({ run, wb, onExport }: { run: RunRow; wb: Workbench; onExport: (id: string) => void }) {
  const [name, setName] = useState(run.name);
  const [note, setNote] = useState(run.note);
  const ckpts = run.checkpoints;
  const [step, setStep] = useState<number | null>(ckpts.length ? ckpts[ckpts.length - 1] : null);
  useEffect(() => { setName(run.name); setNote(run.note); }, [run.id, run.name, run.note]);
  useEffect(() => { setStep(ckpts.length ? ckpts[ckpts.length - 1] : null); }, [run.id, ckpts.length]); // eslint-disable-line react-hooks/exhaustive-deps
  const label = (patch: Record<string, unknown>) => wb.send("run_label", { id: run.id, ...patch });
  return (
    <div className="dw-run-actions" data-run-actions={run.id}>
      <label className="dw-field"><span className="dw-field-name">name</span>
        <input data-field="run-name" value={name} placeholder={run.id} onChange={(e) => setName(e.target.value)}
          onBlur={() => name !== run.name && label({ name })} onKeyDown={(e) => e.key === "Enter" && name !== run.name && label({ name })} />
      </label>
      <label className="dw-field"><span className="dw-field-name">note</span>
        <input data-field="run-note" value={note} onChange={(e) => setNote(e.target.value)}
          onBlur={() => note !== run.note && label({ note })} onKeyDown={(e) => e.key === "Enter" && note !== run.note && label({ note })} />
      </label>
      {run.parent ? <div className="dw-doc">forked from {run.parent} at step {run.parent_step}</div> : null}
      {run.error ? <div className="dw-field-error">{run.error}</div> : null}
      <div className="dw-controls">
        <button onClick={() => label({ pinned: !run.pinned })}>{run.pinned ? "Unpin" : "Pin"}</button>
        <button className="dw-run-delete" disabled={run.live} onClick={() => wb.send("run_delete", { id: run.id })}>Delete</button>
        <button title="Export to Python with this run's weights" onClick={() => onExport(run.id)}>Export</button>
      </div>
      <div className="dw-controls">
        <select data-field="fork-step" value={step ?? ""} disabled={!ckpts.length} onChange={(e) => setStep(Number(e.target.value))}>
          {ckpts.length ? null : <option value="">no kept checkpoint</option>}
          {ckpts.map((s) => <option key={s} value={s}>checkpoint at step {s}</option>)}
        </select>
        <button className="dw-run-fork" disabled={step === null} title="Start a new run from this checkpoint with the graph as edited now"
          onClick={() => wb.send("fork", { id: run.id, step })}>Fork</button>
      </div>
    </div>
  );
}

export function RunsTable({ wb, onExport }: { wb: Workbench; onExport: (id: string) => void }) {
  const runs = orderRuns(wb.runs);
  const numbers = runNumbers(wb.runs);
  const label = (id: string) => { const r = wb.runs.find((x) => x.id === id); return r ? runLabel(r, numbers.get(id)) : id; };
  const sel = new Set(wb.selected);
  const toggle = (id: string) => wb.select(sel.has(id) ? wb.selected.filter((x) => x !== id) : [...wb.selected, id]);
  const one = wb.selected.length === 1 ? wb.runs.find((r) => r.id === wb.selected[0]) : undefined;
  const diff = wb.diff && wb.selected.length === 2 ? diffLines(wb.diff) : null;
  const [undo, setUndo] = useState<string | null>(null);
  useEffect(() => {
    if (!wb.deleted) return;
    setUndo(wb.deleted);
    const t = window.setTimeout(() => setUndo(null), 15000);
    return () => window.clearTimeout(t);
  }, [wb.deleted]);

  return (
    <div className="dw-runs" data-testid="runs-table">
      {undo ? (
        <div className="dw-undo-bar" role="status">Run {undo} deleted. <button className="dw-run-undo" onClick={() => { wb.send("run_restore", { id: undo }); setUndo(null); }}>Undo</button></div>
      ) : null}
      {!runs.length ? <div className="dw-wb-empty">{wb.folder === null
        ? "Runs are kept beside a saved document: open one (dw.Editor(\"model.diffwire\")) or give the editor train_options=dict(out=\"runs/\")."
        : "No runs kept yet. Press Train: each run is kept beside the document."}</div> : (
        <div className="dw-runs-scroll">
          <table className="dw-runs-table">
            <thead><tr><th></th><th>run</th><th title="steps done">steps</th><th title="final training loss">final</th><th title="best training loss">best</th></tr></thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-run={r.id} className={sel.has(r.id) ? "dw-run-selected" : ""} onClick={() => toggle(r.id)}>
                  <td><span className="dw-run-swatch" style={{ background: wb.colors[r.id] && sel.has(r.id) ? wb.colors[r.id] : "transparent" }} />
                    <input type="checkbox" checked={sel.has(r.id)} onChange={() => toggle(r.id)} onClick={(e) => e.stopPropagation()} aria-label={`select ${runLabel(r)}`} /></td>
                  <td className="dw-run-name" title={`${r.id}${r.parent ? `\nforked from ${r.parent} at step ${r.parent_step}` : ""}${r.note ? `\n${r.note}` : ""}`}>
                    {r.pinned ? "★ " : ""}{r.parent ? "↳ " : ""}{runLabel(r, numbers.get(r.id))}
                    {/* the state under the name: a side panel has no room for a column of its own */}
                    <div className="dw-run-note"><span className={`dw-run-state dw-state-${r.state}`}>{r.live ? "● " : ""}{r.state}</span>
                      {r.started ? ` · ${fmtStart(r.started)}` : ""}{r.note ? ` · ${r.note}` : ""}</div></td>
                  <td title={r.steps ? `${r.step ?? 0} of ${r.steps}` : undefined}>{r.step ?? 0}</td>
                  <td>{fmtLoss(r.loss)}</td>
                  <td>{fmtLoss(r.best_loss)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {one ? <RunActions run={one} wb={wb} onExport={onExport} /> : null}
      {wb.selected.length > 1 ? <div className="dw-doc">{wb.selected.length} runs overlaid in the plots{wb.selected.length > 2 ? "; select two to compare them" : ""}.</div> : null}
      {diff ? (
        <div className="dw-run-diff" data-testid="run-diff">
          <h4 title={`${wb.diff!.a} → ${wb.diff!.b}`}>{label(wb.diff!.a)} → {label(wb.diff!.b)}</h4>
          <div className="dw-diff-head">graph</div>
          {diff.graph.length ? diff.graph.map((l, i) => <div key={i} className={`dw-diff-line dw-diff-${l[0] === "+" ? "add" : l[0] === "-" ? "del" : "chg"}`}>{l}</div>) : <div className="dw-doc">same graph</div>}
          <div className="dw-diff-head">hyperparameters</div>
          {diff.hparams.length ? diff.hparams.map((l, i) => <div key={i} className="dw-diff-line dw-diff-chg">{l}</div>) : <div className="dw-doc">same settings</div>}
        </div>
      ) : null}
    </div>
  );
}
