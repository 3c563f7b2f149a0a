// Pure graph edits on the document JSON. Every function returns a new document and
// never mutates its arguments, so the undo stack can keep plain snapshots.
import type { BlockSpec, Catalog, EdgeDoc, GraphDoc, NodeDoc, PortSpec } from "./types";
import { stableStringify } from "./stable";

/** Where the canvas is: the top graph, or a body reached through nodes. */
export interface BodyRef { node: string; body: string }
export type GraphPath = BodyRef[];

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function graphAt(doc: GraphDoc, path: GraphPath): GraphDoc {
  let g = doc;
  for (const ref of path) {
    const n = g.nodes.find((x) => x.id === ref.node);
    const body = n?.body?.[ref.body];
    if (!body) return { nodes: [], edges: [] };
    g = body;
  }
  return g;
}

/** Apply `fn` to the (sub)graph at `path` and rebuild the document around the result. */
export function updateAt(doc: GraphDoc, path: GraphPath, fn: (g: GraphDoc) => GraphDoc): GraphDoc {
  if (path.length === 0) return fn(doc);
  const [head, ...rest] = path;
  const n = doc.nodes.find((x) => x.id === head.node);
  const body = n?.body?.[head.body];
  if (!n || !body) return doc;
  const next = updateAt(body, rest, fn);
  // an edit that changed nothing in the body changes nothing around it (no undo step)
  if (next === body) return doc;
  return {
    ...doc,
    nodes: doc.nodes.map((x) => (x === n ? { ...n, body: { ...n.body, [head.body]: next } } : x)),
  };
}

/** The kernel's node path ("loop/body/mlp") for a node id in the graph at `path`. */
export function nodePath(path: GraphPath, id: string): string {
  return [...path.flatMap((r) => [r.node, r.body]), id].join("/");
}

export function freshId(g: GraphDoc, base: string, taken: Set<string> = new Set()): string {
  let b = base.replace(/[^A-Za-z0-9_]/g, "_") || "node";
  if (!ID.test(b)) b = "n_" + b;
  const used = new Set([...g.nodes.map((n) => n.id), ...taken]);
  if (!used.has(b)) return b;
  let i = 1;
  while (used.has(`${b}_${i}`)) i += 1;
  return `${b}_${i}`;
}

export function defaultParams(spec: BlockSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of spec.params) if (!p.required) out[p.name] = structuredClone(p.default);
  return out;
}

/** Whether nodes of this block are named by their `name` param, which follows the node id
 * (the graph's and a body's inputs and outputs: the catalog's `role`). */
export function namedByParam(spec: BlockSpec | undefined): boolean {
  return spec?.role === "input" || spec?.role === "output";
}

export function addNode(
  g: GraphDoc, spec: BlockSpec, position: [number, number], params?: Record<string, unknown>,
): { graph: GraphDoc; id: string } {
  const full = { ...defaultParams(spec), ...(params ?? {}) };
  const named = namedByParam(spec);
  const base = named && typeof full.name === "string" ? full.name : spec.type.toLowerCase();
  const id = freshId(g, base);
  if (named) full.name = id;
  const node: NodeDoc = { id, type: spec.type, params: full, position: [position[0], position[1]] };
  if (spec.bodies.length) {
    // An empty body; the kernel fills in the block's default body on its first look.
    node.body = Object.fromEntries(spec.bodies.map((b) => [b, { nodes: [], edges: [] }]));
  }
  return { graph: { ...g, nodes: [...g.nodes, node] }, id };
}

export function removeNodes(g: GraphDoc, ids: Iterable<string>): GraphDoc {
  const gone = new Set(ids);
  if (gone.size === 0) return g;
  return {
    ...g,
    nodes: g.nodes.filter((n) => !gone.has(n.id)),
    edges: g.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
  };
}

export const edgeKey = (e: EdgeDoc) => `${e.source}.${e.source_port}->${e.target}.${e.target_port}`;

export function removeEdges(g: GraphDoc, keys: Iterable<string>): GraphDoc {
  const gone = new Set(keys);
  if (gone.size === 0) return g;
  return { ...g, edges: g.edges.filter((e) => !gone.has(edgeKey(e))) };
}

export function moveNodes(g: GraphDoc, moves: Record<string, [number, number]>): GraphDoc {
  return {
    ...g,
    nodes: g.nodes.map((n) => (moves[n.id] ? { ...n, position: [moves[n.id][0], moves[n.id][1]] } : n)),
  };
}

export function setParam(g: GraphDoc, id: string, name: string, value: unknown): GraphDoc {
  return {
    ...g,
    nodes: g.nodes.map((n) => (n.id === id ? { ...n, params: { ...n.params, [name]: value } } : n)),
  };
}

/** `setParam` on a node named by its kernel path ("solve/field/known"), inside bodies. */
export function setParamAt(doc: GraphDoc, nodePathText: string, name: string, value: unknown): GraphDoc {
  const parts = nodePathText.split("/");
  const path: GraphPath = [];
  for (let i = 0; i + 1 < parts.length - 1; i += 2) path.push({ node: parts[i], body: parts[i + 1] });
  return updateAt(doc, path, (g) => setParam(g, parts[parts.length - 1], name, value));
}

export function setLabel(g: GraphDoc, id: string, label: string | null): GraphDoc {
  return {
    ...g,
    nodes: g.nodes.map((n) => {
      if (n.id !== id) return n;
      const { label: _old, ...rest } = n;
      return label ? { ...rest, label } : rest;
    }),
  };
}

/** A node's ports: the kernel's answer for dynamic blocks when it has one, else the catalog's. */
export type PortLookup = (node: NodeDoc) => { inputs: PortSpec[]; outputs: PortSpec[] };

export function catalogPorts(catalog: Catalog): PortLookup {
  const byType = new Map(catalog.blocks.map((b) => [b.type, b]));
  return (node) => {
    const spec = byType.get(node.type);
    return { inputs: spec?.inputs ?? [], outputs: spec?.outputs ?? [] };
  };
}

export type Check = { ok: true } | { ok: false; reason: string };

/** Whether an edge may be added, and if not, why (shown while dragging). */
export function canConnect(
  g: GraphDoc, catalog: Catalog, ports: PortLookup, e: EdgeDoc,
  shapeOf?: (node: string, port: string) => Dim[] | undefined,
): Check {
  const src = g.nodes.find((n) => n.id === e.source);
  const dst = g.nodes.find((n) => n.id === e.target);
  if (!src || !dst) return { ok: false, reason: "unknown node" };
  if (src.id === dst.id) return { ok: false, reason: "a block cannot feed itself" };
  const sp = ports(src).outputs.find((p) => p.name === e.source_port);
  const tp = ports(dst).inputs.find((p) => p.name === e.target_port);
  if (!sp) return { ok: false, reason: `${src.id} has no output '${e.source_port}'` };
  if (!tp) return { ok: false, reason: `${dst.id} has no input '${e.target_port}'` };
  const accepts = catalog.kinds[tp.kind] ?? [];
  if (!accepts.includes(sp.kind)) {
    return { ok: false, reason: `a ${sp.kind} output cannot feed a ${tp.kind} input (accepts ${accepts.join(", ") || "nothing"})` };
  }
  const conflict = shapeConflict(shapeOf?.(e.source, e.source_port), declaredShape(tp.shape, dst.params));
  if (conflict) return { ok: false, reason: conflict };
  const taken = g.edges.find((x) => x.target === e.target && x.target_port === e.target_port);
  if (taken) return { ok: false, reason: `${dst.id}.${e.target_port} already has an edge from ${taken.source}` };
  if (reaches(g, e.target, e.source)) return { ok: false, reason: "that wire would make a cycle (use a Loop)" };
  return { ok: true };
}

function reaches(g: GraphDoc, from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of g.edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(next.get(n) ?? []));
  }
  return false;
}

export function connect(g: GraphDoc, e: EdgeDoc): GraphDoc {
  return { ...g, edges: [...g.edges, { ...e }] };
}

/** What copy puts on the clipboard: the nodes and the edges among them. */
export interface Clip { nodes: NodeDoc[]; edges: EdgeDoc[] }

export function copyNodes(g: GraphDoc, ids: Iterable<string>): Clip {
  const keep = new Set(ids);
  return structuredClone({
    nodes: g.nodes.filter((n) => keep.has(n.id)),
    edges: g.edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
  });
}

/** Paste a clip with fresh ids, shifted by `offset`; returns the new ids. One undo step.
 * (`catalog` says which nodes are named by their `name` param: it follows the new id.) */
export function paste(
  g: GraphDoc, clip: Clip, catalog: Catalog, offset: [number, number] = [40, 40],
): { graph: GraphDoc; ids: string[] } {
  const specs = new Map(catalog.blocks.map((b) => [b.type, b]));
  const rename = new Map<string, string>();
  const taken = new Set<string>();
  const nodes: NodeDoc[] = clip.nodes.map((n) => {
    const id = freshId(g, n.id.replace(/_\d+$/, ""), taken);
    taken.add(id);
    rename.set(n.id, id);
    const copy: NodeDoc = structuredClone(n);
    copy.id = id;
    copy.position = [n.position[0] + offset[0], n.position[1] + offset[1]];
    if (namedByParam(specs.get(n.type)) && typeof copy.params.name === "string") copy.params.name = id;
    return copy;
  });
  const edges = clip.edges.map((e) => ({ ...e, source: rename.get(e.source)!, target: rename.get(e.target)! }));
  return { graph: { ...g, nodes: [...g.nodes, ...nodes], edges: [...g.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}

export function duplicate(g: GraphDoc, ids: Iterable<string>, catalog: Catalog): { graph: GraphDoc; ids: string[] } {
  return paste(g, copyNodes(g, ids), catalog);
}

type Dim = string | number | null;

/** A port's declared shape with params filled in: "widths[0]" -> 2, "in_features" -> 4.
 * Entries that stay symbolic ("B", "*", "n") are kept as they are. */
export function declaredShape(shape: Dim[] | null, params: Record<string, unknown>): Dim[] | null {
  if (!shape) return null;
  return shape.map((d) => {
    if (typeof d !== "string") return d;
    const m = d.match(/^([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?\d+)\])?$/);
    if (!m) return d;
    let v = params[m[1]];
    if (m[2] !== undefined && Array.isArray(v)) v = v.at(Number(m[2]));
    return typeof v === "number" && Number.isInteger(v) ? v : d;
  });
}

/** Why a value of inferred shape `found` cannot enter a port declaring `expected`, or null.
 * Only sizes known on both sides are compared, aligned from the right after a leading "*". */
export function shapeConflict(found: Dim[] | undefined, expected: Dim[] | null): string | null {
  if (!found || !expected) return null;
  const star = expected[0] === "*";
  const exp = star ? expected.slice(1) : expected;
  if (!star && found.length !== exp.length) {
    return `shape [${found.join(", ")}] has ${found.length} dimensions, the input takes ${exp.length}`;
  }
  for (let i = 1; i <= Math.min(exp.length, found.length); i++) {
    const e = exp[exp.length - i];
    const f = found[found.length - i];
    if (typeof e === "number" && typeof f === "number" && e !== f) {
      const want = `[${star ? "..., " : ""}${exp.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
      return `shape [${found.map((d) => (d === null ? "?" : String(d))).join(", ")}] does not fit ${want}`;
    }
  }
  return null;
}

/**
 * `next` (an edit the kernel computed, e.g. a group) with the objects of `prev` wherever
 * they are unchanged: the editor's own edits share structure with the document they were
 * made on, and writes (patch.ts) send only the nodes that are new objects.
 */
export function shareUnchanged(prev: GraphDoc, next: GraphDoc): GraphDoc {
  const same = <T>(a: T | undefined, b: T): T => (a !== undefined && stableStringify(a) === stableStringify(b) ? a : b);
  const before = new Map(prev.nodes.map((n) => [n.id, n]));
  const out: GraphDoc = { ...next, nodes: next.nodes.map((n) => same(before.get(n.id), n)), edges: same(prev.edges, next.edges) };
  if (next.training !== undefined) out.training = same(prev.training, next.training);
  if (next.meta !== undefined) out.meta = same(prev.meta, next.meta);
  return out;
}

/** Whether a node can be ungrouped (the catalog's `role` of its block). */
export function isGroup(g: GraphDoc, catalog: Catalog, id: string): boolean {
  const n = g.nodes.find((x) => x.id === id);
  return !!n && catalog.blocks.some((b) => b.type === n.type && b.role === "group");
}

/** A param change that would let a refused wire in: what a person can accept in one click. */
export interface ShapeFix {
  node: string;
  param: string;
  /** the entry of a list param to set (widths[0]); the whole param when absent */
  index?: number;
  value: number;
  /** "set linear.in_features = 1" */
  text: string;
  /** the param may also be "auto": follow the wire from now on, whatever its size */
  auto?: boolean;
}

const PARAM_REF = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?\d+)\])?$/;

/** For a wire refused only because a size differs, the param that fixes it: a target whose
 * port shape names a param (in_features, widths[0]) takes the source's size; failing
 * that, a source whose output shape is its own `shape`-kind param takes the target's. */
export function shapeFix(
  g: GraphDoc, catalog: Catalog, ports: PortLookup, e: EdgeDoc,
  shapeOf: (node: string, port: string) => Dim[] | undefined,
): ShapeFix | null {
  const src = g.nodes.find((n) => n.id === e.source);
  const dst = g.nodes.find((n) => n.id === e.target);
  if (!src || !dst) return null;
  const tp = ports(dst).inputs.find((p) => p.name === e.target_port);
  const found = shapeOf(e.source, e.source_port);
  if (!tp?.shape || !found) return null;
  const want = declaredShape(tp.shape, dst.params);
  if (!want || !shapeConflict(found, want)) return null;
  const star = tp.shape[0] === "*";
  const decl = star ? tp.shape.slice(1) : tp.shape;
  if (!star && decl.length !== found.length) return null;
  let fix: ShapeFix | null = null;
  for (let i = 1; i <= Math.min(decl.length, found.length); i++) {
    const d = decl[decl.length - i];
    const f = found[found.length - i];
    const w = want[want.length - i];
    if (typeof w !== "number" || typeof f !== "number" || w === f) continue;
    const m = typeof d === "string" ? d.match(PARAM_REF) : null;
    if (!m || fix) return sourceFix(src, catalog, ports, e, want, star);  // two sizes differ, or no param
    const index = m[2] === undefined ? undefined : Number(m[2]);
    const cur = dst.params[m[1]];
    if (index !== undefined && !Array.isArray(cur)) return null;
    const spec = catalog.blocks.find((b) => b.type === dst.type)?.params.find((p) => p.name === m[1]);
    const auto = !!spec?.auto && (index === undefined || index === 0);
    fix = { node: dst.id, param: m[1], index, value: f, text: `set ${dst.id}.${m[1]}${index === undefined ? "" : `[${index}]`} = ${f}`, auto };
  }
  return fix ?? sourceFix(src, catalog, ports, e, want, star);
}

function sourceFix(src: NodeDoc, catalog: Catalog, ports: PortLookup, e: EdgeDoc, want: Dim[], star: boolean): ShapeFix | null {
  const spec = catalog.blocks.find((b) => b.type === src.type);
  const shaped = spec?.params.find((p) => p.kind === "shape");
  if (!shaped) return null;
  const cur = src.params[shaped.name];
  const sp = ports(src).outputs.find((p) => p.name === e.source_port);
  if (!Array.isArray(cur) || !sp?.shape || JSON.stringify(sp.shape) !== JSON.stringify(cur)) return null;
  const last = want[want.length - 1];
  if (!star && cur.length !== want.length) return null;
  if (typeof last !== "number" || !cur.length) return null;
  const index = cur.length - 1;
  return { node: src.id, param: shaped.name, index, value: last, text: `set ${src.id}.${shaped.name}[${index}] = ${last}` };
}

/** The document with `fix` applied and, when given, the wire it lets in: one undo step.
 * With `auto`, the param becomes "auto" (it follows the wire) rather than the number. */
export function applyFix(g: GraphDoc, fix: ShapeFix, e?: EdgeDoc, auto = false): GraphDoc {
  const node = g.nodes.find((n) => n.id === fix.node);
  if (!node) return g;
  let value: unknown = auto && fix.auto ? "auto" : fix.value;
  if (fix.index !== undefined) {
    const list = [...(node.params[fix.param] as unknown[])];
    list[fix.index < 0 ? list.length + fix.index : fix.index] = auto && fix.auto ? "auto" : fix.value;
    value = list;
  }
  const out = setParam(g, fix.node, fix.param, value);
  return e ? connect(out, e) : out;
}
