// Param forms: turn what a person types into a param value, or say why not. Mirrors the
// checks of ports.Param.check in the kernel, so most mistakes are caught as you type;
// the kernel's validation has the last word.
import type { ParamSpec } from "./types";

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** A size that follows the wire into its node (a param with `auto`). */
export const AUTO = "auto";

const ok = (value: unknown): Parsed => ({ ok: true, value });
const bad = (error: string): Parsed => ({ ok: false, error });

function range(p: ParamSpec, v: number): Parsed {
  if (p.min !== undefined && v < p.min) return bad(`must be >= ${p.min}`);
  if (p.max !== undefined && v > p.max) return bad(`must be <= ${p.max}`);
  return ok(v);
}

function number(p: ParamSpec, text: string, int: boolean): Parsed {
  const t = text.trim();
  if (t === "") return bad("a number is needed");
  const v = Number(t);
  if (!Number.isFinite(v)) return bad(`not a number: ${t}`);
  if (int && !Number.isInteger(v)) return bad("must be a whole number");
  return range(p, v);
}

function splitList(text: string): string[] {
  const t = text.trim().replace(/^\[/, "").replace(/\]$/, "").trim();
  return t === "" ? [] : t.split(",").map((s) => s.trim());
}

/** Parse the text of a form field for param `p`. */
export function parseParam(p: ParamSpec, text: string): Parsed {
  if (p.nullable && text.trim() === "") return ok(null);
  if (p.auto && p.kind !== "list" && text.trim() === AUTO) return ok(AUTO);
  switch (p.kind) {
    case "int":
      return number(p, text, true);
    case "float":
      return number(p, text, false);
    case "string":
      return ok(text);
    case "bool":
      return text === "true" ? ok(true) : text === "false" ? ok(false) : bad("true or false");
    case "choice": {
      const hit = (p.choices ?? []).find((c) => String(c) === text);
      return hit === undefined ? bad(`one of ${(p.choices ?? []).join(", ")}`) : ok(hit);
    }
    case "list": {
      const items = splitList(text);
      const kind = p.item ?? "float";
      const out: unknown[] = [];
      for (const s of items) {
        if (p.auto && out.length === 0 && s === AUTO) {
          out.push(AUTO);
          continue;
        }
        if (kind === "string") {
          const name = s.replace(/^["']|["']$/g, "");
          if (!name) return bad("empty name in the list");
          out.push(name);
          continue;
        }
        const r = number(p, s, kind === "int");
        if (!r.ok) return bad(`item '${s}': ${r.error}`);
        out.push(r.value);
      }
      if (p.min_len !== undefined && out.length < p.min_len) return bad(`at least ${p.min_len} items`);
      return ok(out);
    }
    case "shape": {
      const out: (number | string | null)[] = [];
      for (const s of splitList(text)) {
        if (s === "None" || s === "null") out.push(null);
        else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out.push(s);
        else if (/^\d+$/.test(s) && Number(s) > 0) out.push(Number(s));
        else return bad(`'${s}' is not a size, None or a name`);
      }
      return ok(out);
    }
    case "dict": {
      const out: Record<string, number> = {};
      const t = text.trim().replace(/^\{/, "").replace(/\}$/, "").trim();
      if (t === "") return ok(out);
      for (const part of t.split(",")) {
        const m = part.trim().match(/^["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*[:=]\s*(.+)$/);
        if (!m) return bad(`'${part.trim()}' is not name=number`);
        const v = Number(m[2].trim());
        if (!Number.isFinite(v)) return bad(`'${m[2].trim()}' is not a number`);
        out[m[1]] = v;
      }
      return ok(out);
    }
    default:
      return bad(`unknown param kind ${String(p.kind)}`);
  }
}

/** The text a form field shows for a value. */
export function formatParam(p: ParamSpec, value: unknown): string {
  if (value === null || value === undefined) return "";
  switch (p.kind) {
    case "list":
      return (value as unknown[]).map(String).join(", ");
    case "shape":
      return (value as unknown[]).map((v) => (v === null ? "None" : String(v))).join(", ");
    case "dict":
      return Object.entries(value as Record<string, number>).map(([k, v]) => `${k}=${v}`).join(", ");
    default:
      return String(value);
  }
}

/** A short text for the node face: `widths [2, 32, 2]`. */
export function summary(p: ParamSpec, value: unknown): string {
  const t = formatParam(p, value);
  return p.kind === "list" || p.kind === "shape" ? `[${t}]` : t;
}
