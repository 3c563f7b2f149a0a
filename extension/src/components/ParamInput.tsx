// One typed field of the workbench's forms (generator kwargs, training settings): checked
// as it is typed with the same parser as the inspector; committed on Enter or blur.
import { useEffect, useState } from "react";
import type { GraphErrorInfo, ParamSpec } from "../types";
import { formatParam, parseParam } from "../params";
import { instantControl, paramHint } from "./paramControls";

export function ParamInput({ p, value, errors = [], onCommit, testId }: {
  p: ParamSpec; value: unknown; errors?: GraphErrorInfo[]; onCommit: (v: unknown) => void; testId?: string;
}) {
  const shown = value === undefined ? (p.nullable ? null : p.default) : value;
  const shownText = shown === undefined ? "" : formatParam(p, shown);
  const [text, setText] = useState(shownText);
  // What is being typed gives way only to a new value of the field (undo, another view), not
  // to a re-render with equal props: a catalog or a section arriving again from the kernel
  // brings new objects, and a reset on those lost a value typed but not yet committed.
  useEffect(() => setText(shownText), [shownText]);
  const parsed = text.trim() === "" && value === undefined ? null : parseParam(p, text);
  const commit = () => {
    if (text.trim() === "" && !p.nullable) { if (value !== undefined) onCommit(undefined); return; }
    if (!parsed || !parsed.ok || JSON.stringify(parsed.value) === JSON.stringify(value)) return;
    // an unset field shows its default: leaving it as shown writes nothing
    if (value === undefined && JSON.stringify(parsed.value) === JSON.stringify(shown)) return;
    onCommit(parsed.value);
  };
  const hint = paramHint(p);
  const kernel = errors.map((e) => e.text || e.message).join("; ");
  let input = instantControl(p, shown, onCommit);
  if (!input) {
    input = (
      <input value={text} className={parsed && !parsed.ok ? "dw-invalid" : ""} placeholder={p.nullable ? "all" : String(p.default ?? "")}
        onChange={(e) => setText(e.target.value)} onBlur={commit}
        onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); commit(); } if (e.key === "Escape") setText(formatParam(p, shown)); }} />
    );
  }
  return (
    <label className={`dw-field dw-wb-field${kernel ? " dw-field-kernel-error" : ""}`} data-field={testId ?? p.name} title={hint}>
      <span className="dw-field-name">{p.name}<span className="dw-field-kind">{p.kind}</span></span>
      {input}
      {parsed && !parsed.ok ? <span className="dw-field-error">{parsed.error}</span> : null}
      {kernel ? <span className="dw-field-error dw-kernel-error">{kernel}</span> : null}
    </label>
  );
}
