// Where one graph input or target gets its data: a generator (with its parameter form), a
// .csv/.npz file beside the document (columns or arrays, a preview, a column mapping), or
// a kernel variable. A file the kernel could not read shows its error and is not bound.
import { useState } from "react";
import type { GraphErrorInfo } from "../types";
import type { Binding } from "../workbench/section";
import { csvBinding } from "../workbench/section";
import type { DataFile, KernelVar, TrainingCatalog } from "../workbench/types";
import { ParamInput } from "./ParamInput";

type Source = "none" | "generator" | "file" | "kernel";

interface Props {
  name: string;
  role: "input" | "target";
  binding: Binding | undefined;
  catalog: TrainingCatalog;
  files: DataFile[];
  vars: KernelVar[];
  errors: GraphErrorInfo[];
  onBinding: (b: Binding | null) => void;
  onRefreshFiles: () => void;
}

const shape = (s: number[]) => `[${s.join(", ")}]`;

export function DataSourceField({ name, role, binding, catalog, files, vars, errors, onBinding, onRefreshFiles }: Props) {
  const [pending, setPending] = useState<Source | null>(null);
  const [pendingFile, setPendingFile] = useState<string | null>(null);
  const source: Source = pending ?? (binding ? binding.source : "none");
  const kernelText = errors.map((e) => e.text || e.message).join("; ");
  const whole = binding?.batch === false;

  const choose = (s: Source) => {
    setPendingFile(null);
    if (s === "none") { setPending(null); onBinding(null); return; }
    if (s === "generator") {
      const g = catalog.generators.find((x) => x.keys?.includes(name)) ?? catalog.generators[0];
      if (!g) return;
      setPending(null);
      onBinding(g.keys && !g.keys.includes(name) ? { source: "generator", name: g.name, key: g.keys[0] } : { source: "generator", name: g.name });
      return;
    }
    if (s === "kernel" && vars.length) {
      const v = vars.find((x) => x.name === name) ?? vars[0];
      setPending(null);
      onBinding({ source: "kernel", name: v.name });
      return;
    }
    if (s === "file") onRefreshFiles();
    setPending(s);  // nothing bound until a file (and its columns) is chosen
  };

  const withBatch = (b: Binding): Binding => (whole ? { ...b, batch: false } : b);
  let body = null;
  if (source === "generator" && binding?.source === "generator") {
    const g = catalog.generators.find((x) => x.name === binding.name);
    body = (
      <div className="dw-wb-source-body">
        <label className="dw-field"><span className="dw-field-name">generator</span>
          <select data-field={`gen:${name}`} value={binding.name} onChange={(e) => {
            const ng = catalog.generators.find((x) => x.name === e.target.value);
            const key = ng?.keys && !ng.keys.includes(name) ? ng.keys[0] : undefined;
            onBinding(withBatch(key ? { source: "generator", name: e.target.value, key } : { source: "generator", name: e.target.value }));
          }}>
            {catalog.generators.map((x) => <option key={x.name} value={x.name}>{x.name}</option>)}
          </select>
        </label>
        {g?.doc ? <div className="dw-doc">{g.doc}</div> : null}
        {g?.keys ? (
          <label className="dw-field"><span className="dw-field-name">array</span>
            <select data-field={`key:${name}`} value={binding.key ?? name} onChange={(e) => {
              const { key: _k, ...rest } = binding;
              onBinding(e.target.value === name ? rest : { ...rest, key: e.target.value });
            }}>
              {g.keys.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          </label>
        ) : null}
        <div className="dw-wb-kwargs">{(g?.params ?? []).map((p) => (
          <ParamInput key={`${binding.name}:${p.name}`} p={p} value={binding.kwargs?.[p.name]} testId={`kw:${name}:${p.name}`}
            errors={errors.filter((e) => (e.port ?? "").endsWith(`.${p.name}`))}
            onCommit={(v) => {
              const kwargs = { ...(binding.kwargs ?? {}) };
              if (v === undefined) delete kwargs[p.name]; else kwargs[p.name] = v;
              onBinding({ ...binding, kwargs });
            }} />
        ))}</div>
      </div>
    );
  } else if (source === "file") {
    const path = pendingFile ?? (binding?.source === "file" ? binding.path : null);
    const file = files.find((f) => f.path === path);
    const chosen = binding?.source === "file" && binding.path === path ? (binding.columns ?? []) : [];
    body = (
      <div className="dw-wb-source-body">
        <label className="dw-field"><span className="dw-field-name">file in {"the document's folder"}</span>
          <select data-field={`file:${name}`} value={path ?? ""} onChange={(e) => {
            const f = files.find((x) => x.path === e.target.value);
            setPendingFile(e.target.value || null);
            if (f && !f.error && f.kind === "npz" && f.arrays?.length) {
              const key = f.arrays.some((a) => a.key === name) ? name : f.arrays[0].key;
              setPending(null); setPendingFile(null);
              onBinding(withBatch({ source: "file", path: f.path, key }));
            }
          }}>
            <option value="">choose a file…</option>
            {files.map((f) => <option key={f.path} value={f.path}>{f.path}{f.error ? " (cannot be read)" : ""}</option>)}
          </select>
        </label>
        {!files.length ? <div className="dw-doc">No .csv or .npz files beside the document. <button onClick={onRefreshFiles}>Look again</button></div> : null}
        {file?.error ? <div className="dw-field-error dw-file-error" role="alert">{file.error}</div> : null}
        {file && !file.error && file.kind === "csv" ? (
          <div className="dw-csv">
            <div className="dw-doc">{file.rows} rows; tick the columns that make up “{name}”:</div>
            <div className="dw-csv-cols">
              {(file.columns ?? []).map((c) => (
                <label key={c} className="dw-csv-col">
                  <input type="checkbox" data-column={c} checked={chosen.includes(c)} onChange={(e) => {
                    const cols = e.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c);
                    const ordered = (file.columns ?? []).filter((x) => cols.includes(x));
                    const b = csvBinding(file.path, ordered, whole ? false : undefined);
                    if (b) { setPending(null); setPendingFile(null); }
                    onBinding(b);
                  }} />{c}
                </label>
              ))}
            </div>
            <table className="dw-preview">
              <thead><tr>{(file.columns ?? []).map((c) => <th key={c} className={chosen.includes(c) ? "dw-chosen" : ""}>{c}</th>)}</tr></thead>
              <tbody>{(file.preview ?? []).map((row, i) => (
                <tr key={i}>{row.map((v, j) => <td key={j} className={chosen.includes(file.columns?.[j] ?? "") ? "dw-chosen" : ""}>{v === null ? "–" : String(Number(v.toPrecision(4)))}</td>)}</tr>
              ))}</tbody>
            </table>
          </div>
        ) : null}
        {file && !file.error && file.kind === "npz" ? (
          <label className="dw-field"><span className="dw-field-name">array</span>
            <select data-field={`array:${name}`} value={binding?.source === "file" ? (binding.key ?? name) : ""} onChange={(e) => onBinding(withBatch({ source: "file", path: file.path, key: e.target.value }))}>
              {(file.arrays ?? []).map((a) => <option key={a.key} value={a.key}>{a.key} {shape(a.shape)} {a.dtype}</option>)}
            </select>
          </label>
        ) : null}
      </div>
    );
  } else if (source === "kernel" && binding?.source === "kernel") {
    body = (
      <div className="dw-wb-source-body">
        <label className="dw-field"><span className="dw-field-name">kernel variable</span>
          <select data-field={`var:${name}`} value={binding.name} onChange={(e) => onBinding(withBatch({ source: "kernel", name: e.target.value }))}>
            {vars.some((v) => v.name === binding.name) ? null : <option value={binding.name}>{binding.name} (not in the kernel now)</option>}
            {vars.map((v) => <option key={v.name} value={v.name}>{v.name} {shape(v.shape)} {v.dtype}</option>)}
          </select>
        </label>
      </div>
    );
  }

  return (
    <fieldset className={`dw-wb-data${kernelText ? " dw-field-kernel-error" : ""}`} data-binding={name}>
      <legend><b>{name}</b> <span className="dw-field-kind">{role === "input" ? "graph input" : "target"}</span></legend>
      <select className="dw-wb-source" data-field={`source:${name}`} value={source} onChange={(e) => choose(e.target.value as Source)}>
        <option value="none">no data</option>
        <option value="generator">generator</option>
        <option value="file">file (.csv, .npz)</option>
        {vars.length || source === "kernel" ? <option value="kernel">kernel variable</option> : null}
      </select>
      {body}
      {binding && !pending ? (
        <label className="dw-wb-whole" title="pass the array whole every step (a time grid, an initial state) instead of slicing rows">
          <input type="checkbox" checked={whole} onChange={(e) => {
            const { batch: _b, ...rest } = binding;
            onBinding(e.target.checked ? ({ ...rest, batch: false } as Binding) : (rest as Binding));
          }} /> whole every step
        </label>
      ) : null}
      {kernelText ? <div className="dw-field-error dw-kernel-error">{kernelText}</div> : null}
    </fieldset>
  );
}
