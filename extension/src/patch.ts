// Canvas writes as patches: what changed between the document the kernel holds and the
// edited one, at node granularity. The editor's graph functions share structure (an edit
// makes new objects only along the path it changed), so "changed" is object identity: a
// param typed into the inspector is one node, not the 50 KB document of a 200-node graph.
// kernel_lib/diffwire/widget/patch.py applies it.
import type { EdgeDoc, GraphDoc, NodeDoc } from "./types";

export interface DocPatch {
  /** nodes added or changed (whole node documents, bodies included) */
  nodes: NodeDoc[];
  /** every node id in order, when nodes were added, removed or reordered */
  order?: string[];
  edges?: EdgeDoc[];
  training?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

/** The patch taking `base` to `next`, or null when sending `next` whole pays better
 * (no base, a format change, or more than half of the nodes changed: a layout). */
export function docPatch(base: GraphDoc | undefined | null, next: GraphDoc): DocPatch | null {
  if (!base || !Array.isArray(base.nodes) || base.format !== next.format) return null;
  const before = new Map(base.nodes.map((n) => [n.id, n]));
  const nodes = next.nodes.filter((n) => before.get(n.id) !== n);
  if (nodes.length * 2 > Math.max(next.nodes.length, 2)) return null;
  const patch: DocPatch = { nodes };
  const same = base.nodes.length === next.nodes.length && next.nodes.every((n, i) => base.nodes[i].id === n.id);
  if (!same) patch.order = next.nodes.map((n) => n.id);
  if (next.edges !== base.edges) patch.edges = next.edges;
  if (next.training !== base.training && next.training !== undefined) patch.training = next.training;
  if (next.meta !== base.meta && next.meta !== undefined) patch.meta = next.meta;
  return patch;
}

/** `base` with `patch` applied: the kernel's rule, for tests and for symmetry. */
export function applyPatch(base: GraphDoc, patch: DocPatch): GraphDoc {
  const changed = new Map(patch.nodes.map((n) => [n.id, n]));
  const old = new Map(base.nodes.map((n) => [n.id, n]));
  const order = patch.order ?? base.nodes.map((n) => n.id);
  const nodes = order.map((id) => {
    const n = changed.get(id) ?? old.get(id);
    if (!n) throw new Error(`patch names a node the base lacks: ${id}`);
    return n;
  });
  return {
    ...base, nodes,
    edges: patch.edges ?? base.edges,
    ...(patch.training !== undefined ? { training: patch.training } : {}),
    ...(patch.meta !== undefined ? { meta: patch.meta } : {}),
  };
}
