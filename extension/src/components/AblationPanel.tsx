// The Ablation panel: the vector fields' terms as checkboxes (each is its Expression
// node's `ablatable` flag, so the choice is saved with the document), seeds, budget and
// data fractions, a progress bar while it runs, then the kept result: the table and the
// extrapolation figure. Kept results are listed and reopen with the document.
import { useState } from "react";
import type { Ablation } from "../hooks/useAblation";
import type { GraphDoc } from "../types";
import { cell, markedIn, parseFractions } from "../workbench/ablation";
import { AblationFigure } from "./AblationFigure";
import { AblationFractionFigure } from "./AblationFractionFigure";

interface Props {
  ab: Ablation;
  doc: GraphDoc;
  /** Write a term's `ablatable` flag into the document (one undo step); absent: read-only. */
  onMark?: (path: string, marked: boolean) => void;
}

export function AblationPanel({ ab, doc, onMark }: Props) {
  const [seeds, setSeeds] = useState<number | null>(null);
  const [budget, setBudget] = useState<number | null>(null);
  const [fracText, setFracText] = useState<string | null>(null);
  const [wrongTerm, setWrongTerm] = useState<string | null>(null);
  const [wrongExpr, setWrongExpr] = useState("");
  // untouched fields start from the shown result's settings (a reopened document), else
  // the kernel's defaults
  const shown = ab.result?.meta;
  const s = seeds ?? shown?.seeds?.length ?? ab.defaults.seeds;
  const b = budget ?? shown?.budget?.adam ?? ab.defaults.budget;
  const ft = fracText ?? (shown?.fractions ?? ab.defaults.fractions).join(", ");
  const fractions = parseFractions(ft);
  const terms = ab.terms.map((t) => ({ ...t, marked: markedIn(doc, t.path) ?? t.marked }));
  const marked = terms.filter((t) => t.marked).map((t) => t.path);
  const seedsOk = Number.isInteger(s) && s >= 1 && s <= 100;
  const budgetOk = Number.isInteger(b) && b >= 1 && b <= 100000;
  const canRun = !ab.running && marked.length > 0 && seedsOk && budgetOk && fractions !== null;
  const wrongPath = wrongTerm && terms.some((t) => t.path === wrongTerm) ? wrongTerm : marked[0] ?? null;
  const wrong = wrongPath ? { [wrongPath]: wrongExpr.trim() || null } : null;
  const p = ab.progress;
  const r = ab.result;

  return (
    <div className="dw-ablation" data-testid="ablation-panel">
      <h4>Terms</h4>
      {ab.note ? <div className="dw-wb-empty">{ab.note}</div> : null}
      {terms.map((t) => (
        <label key={t.path} className="dw-ablation-term" data-term={t.path} title={t.expr}>
          <input type="checkbox" checked={t.marked} disabled={!onMark || ab.running}
            onChange={(e) => onMark?.(t.path, e.target.checked)} />
          <span className="dw-ablation-term-name">{t.label}</span>
          <code className="dw-ablation-term-expr">{t.expr}</code>
        </label>
      ))}
      {ab.terms.length ? <div className="dw-doc">Ticked terms are withheld in every combination (a withheld term's job goes to the network); controls: a pure neural ODE, a black box of t with as many weights, and a wrong term.</div> : null}
      {terms.length ? (
        <>
          <label className="dw-field"><span className="dw-field-name">wrong term</span>
            <select data-field="ablation-wrong-term" value={wrongPath ?? ""} onChange={(e) => setWrongTerm(e.target.value)}>
              {terms.map((t) => <option key={t.path} value={t.path}>{t.label}</option>)}
            </select>
          </label>
          <label className="dw-field"><span className="dw-field-name">as</span>
            <input data-field="ablation-wrong-expr" value={wrongExpr} placeholder="its sign flipped" onChange={(e) => setWrongExpr(e.target.value)} />
          </label>
        </>
      ) : null}
      <h4>Experiment</h4>
      <label className="dw-field"><span className="dw-field-name">seeds</span>
        <input data-field="ablation-seeds" type="number" min={1} max={100} value={s} onChange={(e) => setSeeds(Number(e.target.value))} />
      </label>
      {!seedsOk ? <div className="dw-field-error">seeds: a whole number from 1 to 100</div> : null}
      <label className="dw-field"><span className="dw-field-name">budget</span>
        <input data-field="ablation-budget" type="number" min={1} max={100000} value={b} onChange={(e) => setBudget(Number(e.target.value))} />
        <span className="dw-doc">Adam steps</span>
      </label>
      {!budgetOk ? <div className="dw-field-error">budget: Adam steps from 1 to 100000</div> : null}
      <label className="dw-field"><span className="dw-field-name">data</span>
        <input data-field="ablation-fractions" value={ft} onChange={(e) => setFracText(e.target.value)} />
      </label>
      {fractions === null ? <div className="dw-field-error">data: fractions in (0, 1], e.g. 0.5, 1</div> : null}
      <div className="dw-controls">
        <button className="dw-ablation-run" disabled={!canRun}
          onClick={() => ab.send("ablation_start", { terms: marked, seeds: s, budget: b, fractions, wrong })}>Run ablation</button>
        {ab.running ? <button className="dw-ablation-stop" onClick={() => ab.send("ablation_stop")}>Stop</button> : null}
      </div>
      {ab.running ? (
        <div className="dw-ablation-progress" data-testid="ablation-progress">
          <progress value={p?.done ?? 0} max={p?.total ?? 1} />
          <span>{p?.total ? `${p.done} / ${p.total} trained${p.variant ? ` (last: ${p.variant})` : ""}` : "starting…"}</span>
        </div>
      ) : null}
      {ab.error ? <div className="dw-field-error dw-kernel-error" role="alert">{ab.error}</div> : null}
      {ab.kept.length ? (
        <label className="dw-field"><span className="dw-field-name">kept</span>
          <select data-field="ablation-kept" value={r?.id ?? ""} onChange={(e) => ab.send("ablation_open", { id: e.target.value })}>
            {r?.id ? null : <option value="">(choose)</option>}
            {ab.kept.map((k) => <option key={k.id} value={k.id}>{k.id.replace(/^ablation-/, "")}</option>)}
          </select>
        </label>
      ) : null}
      {r ? <Result r={r} /> : null}
    </div>
  );
}

// what a narrow side panel shows first; "all columns" shows the whole table (scrolls)
const KEY_COLUMNS = ["variant", "fraction", "extrap2x_rmse", "extrap10x_rmse", "extrap10x_rmse_spread", "ic_rank", "failures"];

function Result({ r }: { r: NonNullable<Ablation["result"]> }) {
  const [all, setAll] = useState(false);
  const m = r.meta;
  const columns = all ? r.columns : r.columns.filter(([k]) => KEY_COLUMNS.includes(k));
  return (
    <div className="dw-ablation-result" data-testid="ablation-result" data-id={r.id ?? ""}>
      <h4>Results</h4>
      <div className="dw-doc">
        {m.seeds?.length ?? "?"} seeds, Adam {m.budget?.adam ?? "?"}{m.budget?.lbfgs ? ` + LBFGS ${m.budget.lbfgs}` : ""} steps,
        {m.wall_s !== undefined ? ` ${m.wall_s.toFixed(0)} s;` : ""} medians over seeds, spread best–worst seed;
        {m.truth ? " errors against the simulated truth" : " no simulated truth: extrapolation not measured"}; rank by BIC.
      </div>
      <AblationFigure summary={r.summary} />
      <AblationFractionFigure summary={r.summary} />
      <label className="dw-ablation-all"><input type="checkbox" data-field="ablation-all-columns" checked={all} onChange={(e) => setAll(e.target.checked)} /> all columns (train loss, interpolation, spreads, NFE, time, BIC)</label>
      <div className="dw-ablation-table-wrap">
        <table className="dw-runs-table dw-ablation-table">
          <thead><tr>{columns.map(([k, title]) => <th key={k}>{title}</th>)}</tr></thead>
          <tbody>
            {r.summary.map((row) => (
              <tr key={`${row.variant}@${row.fraction}`} data-variant={row.variant} className={row.failures ? "dw-ablation-failed" : ""}
                title={row.reasons?.length ? `failed: ${row.reasons.join("; ")}` : undefined}>
                {columns.map(([k]) => <td key={k}>{cell(row, k)}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {r.summary.filter((row) => row.failures).map((row) => (
        <div key={`f-${row.variant}@${row.fraction}`} className="dw-field-error">{row.variant}: {row.reasons.join("; ")}</div>
      ))}
    </div>
  );
}
