import { describe, expect, it } from "vitest";
import { formatParam, parseParam } from "../src/params";
import type { ParamSpec } from "../src/types";
import { MetricQueue } from "../src/metrics";
import { stableStringify } from "../src/stable";

const P = (kind: ParamSpec["kind"], extra: Partial<ParamSpec> = {}): ParamSpec => ({ name: "p", kind, doc: "", required: false, ...extra });

describe("param forms", () => {
  it("checks numbers and ranges", () => {
    expect(parseParam(P("int", { min: 0 }), "3")).toEqual({ ok: true, value: 3 });
    expect(parseParam(P("int"), "2.5").ok).toBe(false);
    expect(parseParam(P("int", { min: 1 }), "0")).toEqual({ ok: false, error: "must be >= 1" });
    expect(parseParam(P("float", { max: 1 }), "2").ok).toBe(false);
    expect(parseParam(P("float"), "1e-3")).toEqual({ ok: true, value: 0.001 });
    expect(parseParam(P("float"), "abc").ok).toBe(false);
  });
  it("parses lists, shapes, dicts, choices, bools", () => {
    expect(parseParam(P("list", { item: "int", min_len: 2 }), "2, 32, 2")).toEqual({ ok: true, value: [2, 32, 2] });
    expect(parseParam(P("list", { item: "int", min_len: 2 }), "2").ok).toBe(false);
    expect(parseParam(P("list", { item: "string" }), "[a, 'b']")).toEqual({ ok: true, value: ["a", "b"] });
    expect(parseParam(P("shape"), "None, 2, B")).toEqual({ ok: true, value: [null, 2, "B"] });
    expect(parseParam(P("shape"), "0").ok).toBe(false);
    expect(parseParam(P("dict"), "a=1, b: 2.5")).toEqual({ ok: true, value: { a: 1, b: 2.5 } });
    expect(parseParam(P("dict"), "a=x").ok).toBe(false);
    expect(parseParam(P("choice", { choices: ["relu", "tanh"] }), "tanh")).toEqual({ ok: true, value: "tanh" });
    expect(parseParam(P("choice", { choices: ["relu"] }), "x").ok).toBe(false);
    expect(parseParam(P("bool"), "true")).toEqual({ ok: true, value: true });
    expect(parseParam(P("shape", { nullable: true }), " ")).toEqual({ ok: true, value: null });
  });
  it("formats values back to text", () => {
    expect(formatParam(P("list"), [2, 3])).toBe("2, 3");
    expect(formatParam(P("shape"), [null, 2])).toBe("None, 2");
    expect(formatParam(P("dict"), { a: 1 })).toBe("a=1");
    expect(formatParam(P("shape"), null)).toBe("");
  });
});

describe("metric queue", () => {
  it("coalesces batches into one flush per frame", () => {
    const frames: (() => void)[] = [];
    const flushed: unknown[] = [];
    const q = new MetricQueue((n, x, y) => flushed.push([n, x, y]), (cb) => { frames.push(cb); return frames.length; });
    q.add({ step: [1, 2], values: { loss: [1, 0.5] } });
    q.add({ step: [3], values: { loss: [0.25], val_loss: [null] } });
    expect(frames).toHaveLength(1);
    frames[0]();
    expect(flushed).toEqual([[["loss"], [[1, 2, 3]], [[1, 0.5, 0.25]]]]);
    expect(q.total).toBe(3);
  });
});

describe("stable stringify", () => {
  it("ignores key order", () => {
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: null }] })).toBe(stableStringify({ a: [1, { c: null, d: 2 }], b: 1 }));
  });
});

describe("auto sizes in forms", () => {
  const intAuto: ParamSpec = { name: "in_features", kind: "int", doc: "", required: false, default: 2, min: 1, auto: true };
  const listAuto: ParamSpec = { name: "widths", kind: "list", item: "int", doc: "", required: false, min: 1, auto: true };
  it("takes auto where the param allows it", () => {
    expect(parseParam(intAuto, " auto ")).toEqual({ ok: true, value: "auto" });
    expect(parseParam(listAuto, "auto, 8, 1")).toEqual({ ok: true, value: ["auto", 8, 1] });
    expect(formatParam(listAuto, ["auto", 8, 1])).toBe("auto, 8, 1");
  });
  it("refuses auto elsewhere", () => {
    expect(parseParam({ ...intAuto, auto: false }, "auto").ok).toBe(false);
    expect(parseParam(listAuto, "2, auto, 1").ok).toBe(false);
  });
});
