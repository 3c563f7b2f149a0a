// The Training panel: the document's training section as a form. Every field writes the
// section (one undo step each), the kernel checks it, and its errors show on the field
// they name. The generators, losses and settings come from the kernel's catalogs.
import { memo } from "react";
import type { GraphErrorInfo, ParamSpec } from "../types";
import type { Workbench } from "../hooks/useWorkbench";
import type { TrainingForm as TrainingFormRows } from "../workbench/form";
import * as S from "../workbench/section";
import { DataSourceField } from "./DataSourceField";
import { ParamInput } from "./ParamInput";

// The workbench fields the form reads: its props type allows no other, so the memo below
// (which compares these alone) cannot miss a change the form would show.
const FORM_FIELDS = ["catalog", "files", "vars", "errors", "send"] as const;

interface Props {
  wb: Pick<Workbench, (typeof FORM_FIELDS)[number]>;
  /** the graph's inputs, outputs and Optimizer nodes, from the document shown */
  form: TrainingFormRows;
  section: S.Section | undefined;
  onSection: (s: S.Section) => void;
  onTrain: () => void;
}

function Errors({ errors }: { errors: GraphErrorInfo[] }) {
  if (!errors.length) return null;
  return <div className="dw-field-error dw-kernel-error">{errors.map((e) => e.text || e.message).join("; ")}</div>;
}

/** A note when the notebook gave `train_options` in Python: Train uses them, so a field
 * below that reads "no data" does not mean Train has none. */
function Given({ given }: { given?: { data: string[]; settings: string[] } }) {
  if (!given || (!given.data.length && !given.settings.length)) return null;
  const parts = [given.data.length ? `data for ${given.data.join(", ")}` : "", given.settings.join(", ")].filter(Boolean);
  return (
    <div className="dw-given" data-testid="given-options">
      Train uses what <code>dw.Editor(train_options=…)</code> gives in Python: {parts.join("; ")}.
      The fields below are the document&apos;s training section and fill in the rest.
    </div>
  );
}

export function TrainingPanel({ wb, form, section, onSection, onTrain }: Props) {
  const cat = wb.catalog;
  if (!cat) return <div className="dw-wb-empty">Waiting for the kernel…</div>;
  const binds = S.bindings(section);
  const rows = S.dataNames(section, form.inputs, form.outputs);
  const terms = S.lossTerms(section, form.outputs);
  const targets = rows.filter((r) => r.role === "target").map((r) => r.name);
  const ps = S.phases(section);
  const placed = [...rows.map((r) => `data.${r.name}`), "loss", "optimizer", "schedule", ...cat.fields.map((f) => f.name)];
  const other = S.unplacedErrors(wb.errors, placed);
  const fn0 = cat.losses[0]?.name ?? "mse";

  return (
    <div className="dw-training" data-testid="training-panel">
      <Given given={cat.given} />
      <h4>Data</h4>
      {rows.map((r) => (
        <DataSourceField key={r.name} name={r.name} role={r.role} binding={binds[r.name]} catalog={cat} files={wb.files} vars={wb.vars}
          errors={S.errorsAt(wb.errors, `data.${r.name}`)}
          onBinding={(b) => onSection(S.setBinding(section, r.name, b))}
          onRefreshFiles={() => wb.send("data_files")} />
      ))}
      <h4>Loss</h4>
      {form.outputs.map((o) => {
        const t = terms.find((x) => x.output === o);
        return (
          <div key={o} className="dw-wb-loss" data-loss={o}>
            <span className="dw-wb-output">{o}</span> vs
            <select data-field={`target:${o}`} value={t?.target ?? ""} onChange={(e) => onSection(S.setLossPair(section, form.outputs, o, e.target.value || null, t?.fn ?? fn0))}>
              <option value="">(not compared)</option>
              {targets.map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
            <select data-field={`lossfn:${o}`} value={t?.fn ?? fn0} disabled={!t} title={cat.losses.find((l) => l.name === (t?.fn ?? fn0))?.doc}
              onChange={(e) => onSection(S.setLossPair(section, form.outputs, o, t?.target ?? o, e.target.value))}>
              {cat.losses.map((l) => <option key={l.name} value={l.name} title={l.doc}>{l.name}</option>)}
            </select>
          </div>
        );
      })}
      <Errors errors={S.errorsAt(wb.errors, "loss")} />
      <h4>Settings</h4>
      <div className="dw-wb-settings">
        {cat.fields.map((f: ParamSpec) => (
          <ParamInput key={f.name} p={f} value={section?.[f.name]} errors={S.errorsAt(wb.errors, f.name)}
            onCommit={(v) => onSection(S.setField(section, f.name, v))} />
        ))}
      </div>
      <h4>Optimizer phases</h4>
      {!form.optimizers.length ? <div className="dw-doc">No Optimizer node on the canvas: Adam with its defaults. Drag an Optimizer block in for another optimizer or a schedule.</div> : null}
      {ps.map((p, i) => (
        <div key={i} className="dw-wb-phase" data-phase={i}>
          <span>{i + 1}.</span>
          <select value={typeof p.optimizer === "string" ? p.optimizer : ""} onChange={(e) => onSection(S.setPhases(section, ps.map((q, j) => (j === i ? { ...q, optimizer: e.target.value } : q))))}>
            {typeof p.optimizer === "string" ? null : <option value="">(inline spec)</option>}
            {form.optimizers.map((o) => <option key={o.id} value={o.id}>{o.label || o.id} ({o.kind})</option>)}
          </select>
          <input className="dw-wb-steps" placeholder={i === ps.length - 1 ? "to the end" : "steps"} defaultValue={p.steps ?? ""} key={`${i}:${p.steps ?? ""}`}
            onBlur={(e) => {
              const v = e.target.value.trim();
              const n = v === "" ? null : Number(v);
              if (n !== null && !(Number.isInteger(n) && n >= 0)) return;
              onSection(S.setPhases(section, ps.map((q, j) => (j === i ? { ...q, steps: n } : q))));
            }} />
          <button title="Remove this phase" onClick={() => onSection(S.setPhases(section, ps.filter((_, j) => j !== i)))}>×</button>
        </div>
      ))}
      {form.optimizers.length ? <button className="dw-wb-add-phase" onClick={() => onSection(S.setPhases(section, [...ps, { optimizer: form.optimizers[ps.length % form.optimizers.length].id }]))}>Add phase</button> : null}
      <Errors errors={[...S.errorsAt(wb.errors, "optimizer"), ...S.errorsAt(wb.errors, "schedule")]} />
      <Errors errors={other} />
      <div className="dw-wb-actions">
        <button className="dw-wb-train" onClick={onTrain}>Train</button>
        <span className="dw-doc">{wb.errors.filter((e) => e.severity === "error").length ? "fix the marked fields first" : ""}</span>
      </div>
    </div>
  );
}

/** The fields of the workbench the form shows: the running run's step and losses (which
 * change a few times a second) are not among them, so the form does not re-render for them. */
function sameForm(a: Props, b: Props): boolean {
  return a.section === b.section && a.form === b.form && a.onSection === b.onSection && a.onTrain === b.onTrain
    && FORM_FIELDS.every((k) => a.wb[k] === b.wb[k]);
}

export const TrainingForm = memo(TrainingPanel, sameForm);
