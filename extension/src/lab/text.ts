// The file's text: the same layout as Graph.to_json (sorted keys, two-space indent, final
// newline), so a file saved from the tab diffs cleanly against one written from Python.
import type { GraphDoc } from "../types";

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
  return out;
}

export function docToText(doc: GraphDoc): string {
  return JSON.stringify(sortKeys(doc), null, 2) + "\n";
}

export type Parsed = { ok: true; doc: GraphDoc } | { ok: false; error: string };

/** A document from file text; an empty file is an empty graph. */
export function parseDoc(text: string): Parsed {
  if (!text.trim()) return { ok: true, doc: { format: "diffwire/1", nodes: [], edges: [] } };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `the file is not valid JSON: ${(e as Error).message}` };
  }
  const d = v as Partial<GraphDoc> | null;
  if (!d || typeof d !== "object" || !Array.isArray(d.nodes) || !Array.isArray(d.edges ?? [])) {
    return { ok: false, error: "the file is not a diffwire document (no nodes list)" };
  }
  return { ok: true, doc: { ...d, nodes: d.nodes, edges: d.edges ?? [] } as GraphDoc };
}
