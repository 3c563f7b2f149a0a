// What the inspector and the workbench's forms share for one param: its tooltip, and the
// controls that commit at once (a checkbox for a bool, a menu for a choice).
import type { ReactElement } from "react";
import type { ParamSpec } from "../types";
import { parseParam } from "../params";

export function paramHint(p: ParamSpec): string {
  return [p.doc, p.min !== undefined ? `min ${p.min}` : "", p.max !== undefined ? `max ${p.max}` : ""].filter(Boolean).join("; ");
}

/** The checkbox or menu for a bool or choice param showing `value`; null for a typed one. */
export function instantControl(p: ParamSpec, value: unknown, onCommit: (v: unknown) => void): ReactElement | null {
  if (p.kind === "bool") {
    return <input type="checkbox" checked={value === true} onChange={(e) => onCommit(e.target.checked)} />;
  }
  if (p.kind === "choice") {
    return (
      <select value={String(value)} onChange={(e) => { const r = parseParam(p, e.target.value); if (r.ok) onCommit(r.value); }}>
        {(p.choices ?? []).map((c) => <option key={String(c)} value={String(c)}>{String(c)}</option>)}
      </select>
    );
  }
  return null;
}
