import type { BlockSpec, Catalog, GraphDoc, PortSpec } from "../src/types";

const port = (name: string, kind = "tensor"): PortSpec => ({ name, kind, shape: null, optional: false, doc: "" });
const block = (type: string, inputs: PortSpec[], outputs: PortSpec[], extra: Partial<BlockSpec> = {}): BlockSpec => ({
  type, category: "test", doc: "", inputs, outputs, params: [], bodies: [], dynamic_ports: false, ...extra,
});

export const catalog: Catalog = {
  blocks: [
    block("Input", [], [port("out")], { role: "input", params: [{ name: "name", kind: "string", doc: "", required: false, default: "x" }] }),
    block("MLP", [port("x")], [port("out")], {
      params: [{ name: "widths", kind: "list", item: "int", min: 1, min_len: 2, doc: "", required: false, default: [2, 32, 2] }],
    }),
    block("Compare", [port("a"), port("b")], [port("out", "bool")]),
    block("Loop", [port("h")], [port("h")], { bodies: ["body"] }),
  ],
  kinds: { tensor: ["scalar", "state", "tensor", "time"], bool: ["bool"], scalar: ["scalar", "tensor"] },
};

export const spec = (t: string) => catalog.blocks.find((b) => b.type === t)!;

export function chain(): GraphDoc {
  return {
    format: "diffwire/1",
    nodes: [
      { id: "x", type: "Input", params: { name: "x" }, position: [0, 0] },
      { id: "mlp", type: "MLP", params: { widths: [2, 8, 2] }, position: [200, 0] },
      { id: "cmp", type: "Compare", params: {}, position: [200, 200] },
    ],
    edges: [{ source: "x", source_port: "out", target: "mlp", target_port: "x" }],
    training: {},
  };
}
