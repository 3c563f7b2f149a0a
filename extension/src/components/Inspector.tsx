// The inspector: a form generated from the selected block's param schema, validated as
// you type; a value is committed on Enter, blur, or at once for choices and booleans.
import { useEffect, useState } from "react";
import type { BlockSpec, GraphErrorInfo, NodeDoc, ParamSpec } from "../types";
import { formatParam, parseParam } from "../params";
import { instantControl, paramHint } from "./paramControls";

interface Props {
  node: NodeDoc;
  spec: BlockSpec | undefined;
  errors: GraphErrorInfo[];
  onParam: (name: string, value: unknown) => void;
  onLabel: (label: string | null) => void;
}

function Field({ p, value, kernelError, onCommit }: { p: ParamSpec; value: unknown; kernelError?: string; onCommit: (v: unknown) => void }) {
  const shown = formatParam(p, value);
  const [text, setText] = useState(shown);
  // reset what is typed only for a new value, not for new but equal objects (ParamInput.tsx)
  useEffect(() => setText(shown), [shown]);
  const parsed = parseParam(p, text);
  const commit = () => {
    if (parsed.ok && JSON.stringify(parsed.value) !== JSON.stringify(value)) onCommit(parsed.value);
  };
  const hint = paramHint(p);
  let input = instantControl(p, value, onCommit);
  if (!input) {
    const common = {
      value: text,
      className: parsed.ok ? "" : "dw-invalid",
      onChange: (e: { target: { value: string } }) => setText(e.target.value),
      onBlur: commit,
      onKeyDown: (e: React.KeyboardEvent) => {
        if (e.key === "Enter" && !(p.multiline && e.shiftKey)) { e.preventDefault(); commit(); }
        if (e.key === "Escape") setText(formatParam(p, value));
      },
      placeholder: p.nullable ? "None" : p.kind === "dict" ? "name=value, ..." : "",
    };
    input = p.multiline ? <textarea rows={2} {...common} /> : <input type={p.kind === "int" || p.kind === "float" ? "text" : "text"} inputMode={p.kind === "int" || p.kind === "float" ? "decimal" : undefined} {...common} />;
  }
  return (
    <label className={`dw-field${kernelError ? " dw-field-kernel-error" : ""}`} data-param={p.name} title={hint}>
      <span className="dw-field-name">{p.name}<span className="dw-field-kind">{p.kind}</span></span>
      {input}
      {!parsed.ok && p.kind !== "bool" && p.kind !== "choice" ? <span className="dw-field-error">{parsed.error}</span> : null}
      {kernelError ? <span className="dw-field-error">{kernelError}</span> : null}
    </label>
  );
}

export function Inspector({ node, spec, errors, onParam, onLabel }: Props) {
  const [label, setLabel] = useState(node.label ?? "");
  useEffect(() => setLabel(node.label ?? ""), [node.id, node.label]);
  const byPort = new Map(errors.filter((e) => e.port).map((e) => [e.port!, e.text]));
  return (
    <div className="dw-inspector" data-node-id={node.id}>
      <div className="dw-inspector-head">
        <b>{node.id}</b> <span className="dw-node-type">{node.type}</span>
      </div>
      {spec?.doc ? <div className="dw-doc">{spec.doc.split("\n")[0]}</div> : null}
      <label className="dw-field" data-param="__label">
        <span className="dw-field-name">label</span>
        <input value={label} onChange={(e) => setLabel(e.target.value)}
          onBlur={() => label !== (node.label ?? "") && onLabel(label || null)}
          onKeyDown={(e) => e.key === "Enter" && label !== (node.label ?? "") && onLabel(label || null)} />
      </label>
      {(spec?.params ?? []).map((p) => (
        <Field key={`${node.id}:${p.name}`} p={p} value={node.params[p.name]} kernelError={byPort.get(p.name)} onCommit={(v) => onParam(p.name, v)} />
      ))}
      {errors.filter((e) => !e.port || !spec?.params.some((p) => p.name === e.port)).map((e, i) => (
        <div key={i} className={`dw-msg dw-msg-${e.severity}`}>{e.text}</div>
      ))}
    </div>
  );
}
