// Pure edits of the document's training section: the Training panel's every field goes
// through one of these, so each edit is a new section object (one undo step) and the
// rest of the section is left as it was. Unit-tested in test/section.test.ts.
import type { GraphErrorInfo } from "../types";

export type Section = Record<string, unknown>;

export type Binding =
  | { source: "generator"; name: string; kwargs?: Record<string, unknown>; key?: string; batch?: boolean }
  | { source: "file"; path: string; columns?: string[]; key?: string; batch?: boolean }
  | { source: "kernel"; name: string; batch?: boolean };

export interface LossTerm { output: string; target?: string | null; fn?: string; weight?: number }
export interface Phase { optimizer: unknown; steps?: number | null }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The data bindings, with bare strings (kernel variable names) as kernel bindings. */
export function bindings(section: Section | undefined): Record<string, Binding> {
  const data = section?.data;
  if (!isObj(data)) return {};
  const out: Record<string, Binding> = {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === "string") out[k] = { source: "kernel", name: v };
    else if (isObj(v) && typeof v.source === "string") out[k] = v as unknown as Binding;
  }
  return out;
}

/** Bind `name` (null: unbind it). */
export function setBinding(section: Section | undefined, name: string, b: Binding | null): Section {
  const s = { ...(section ?? {}) };
  const data = { ...(isObj(s.data) ? s.data : {}) };
  if (b === null) delete data[name];
  else data[name] = b;
  if (Object.keys(data).length) s.data = data;
  else delete s.data;
  return s;
}

/** A plain setting (steps, seed...); null or undefined removes it (the default applies). */
export function setField(section: Section | undefined, key: string, value: unknown): Section {
  const s = { ...(section ?? {}) };
  if (value === undefined) delete s[key];
  else s[key] = value;
  return s;
}

/** The loss as a list of output/target terms (a bare function name pairs outputs with
 * data of the same name, as the kernel does). */
export function lossTerms(section: Section | undefined, outputs: string[]): LossTerm[] {
  const loss = section?.loss;
  if (typeof loss === "string") return outputs.map((o) => ({ output: o, target: o, fn: loss }));
  if (Array.isArray(loss)) return loss.filter(isObj).map((t) => t as unknown as LossTerm);
  if (isObj(loss)) return [loss as unknown as LossTerm];
  return [];
}

/** Pair `output` with `target` under loss `fn` (target null: drop the pairing). */
export function setLossPair(section: Section | undefined, outputs: string[], output: string,
  target: string | null, fn: string): Section {
  const terms = lossTerms(section, outputs).filter((t) => t.output !== output);
  const others = terms.filter((t) => t.output !== output);
  const next = target === null ? others : [...others, { output, target, fn }];
  // keep the document in the order of the graph's outputs
  next.sort((a, b) => outputs.indexOf(a.output) - outputs.indexOf(b.output));
  const s = { ...(section ?? {}) };
  if (next.length) s.loss = next;
  else delete s.loss;
  return s;
}

/** The optimizer phases: `schedule`, or the single `optimizer` as one phase. */
export function phases(section: Section | undefined): Phase[] {
  const sch = section?.schedule;
  if (Array.isArray(sch)) return sch.filter(isObj).map((p) => p as unknown as Phase);
  if (section?.optimizer !== undefined) return [{ optimizer: section.optimizer }];
  return [];
}

/** Write the phases back: one phase without a step count is `optimizer`, more are a
 * `schedule` (the last phase runs on to the step budget). */
export function setPhases(section: Section | undefined, ps: Phase[]): Section {
  const s = { ...(section ?? {}) };
  delete s.optimizer;
  delete s.schedule;
  if (ps.length === 1 && (ps[0].steps === undefined || ps[0].steps === null)) s.optimizer = ps[0].optimizer;
  else if (ps.length) s.schedule = ps.map((p) => (p.steps === undefined || p.steps === null ? { optimizer: p.optimizer } : { ...p }));
  return s;
}

/** The names the data rows are about: graph inputs, then targets (the outputs' names
 * by default, and any other name already bound), without repeats. */
export function dataNames(section: Section | undefined, inputs: string[], outputs: string[]): { name: string; role: "input" | "target" }[] {
  const seen = new Set<string>();
  const out: { name: string; role: "input" | "target" }[] = [];
  for (const n of inputs) if (!seen.has(n)) { seen.add(n); out.push({ name: n, role: "input" }); }
  const targets = [...outputs, ...Object.keys(bindings(section)),
    ...lossTerms(section, outputs).map((t) => t.target).filter((t): t is string => typeof t === "string")];
  for (const n of targets) if (!seen.has(n)) { seen.add(n); out.push({ name: n, role: "target" }); }
  return out;
}

/** The kernel's errors about one field: its place is `training.<key>` or inside it. */
export function errorsAt(errors: GraphErrorInfo[], key: string): GraphErrorInfo[] {
  const place = `training.${key}`;
  return errors.filter((e) => e.port === place || (e.port ?? "").startsWith(place + "."));
}

/** The kernel's training errors that no field of the panel shows. */
export function unplacedErrors(errors: GraphErrorInfo[], keys: string[]): GraphErrorInfo[] {
  return errors.filter((e) => !keys.some((k) => errorsAt([e], k).length));
}

/** A CSV binding from a column mapping; null when no column is chosen. */
export function csvBinding(path: string, columns: string[], batch?: boolean): Binding | null {
  if (!columns.length) return null;
  return batch === false ? { source: "file", path, columns, batch } : { source: "file", path, columns };
}
