// What the Training panel's rows are about: the graph's input and output names and its
// Optimizer nodes, read from the document the panel shows (the blocks' roles from the
// catalog). Read here rather than asked of the kernel: its answer comes only once the
// kernel has started and checked the section (seconds on a fresh kernel), and meanwhile the
// panel drew every data row as a target, no loss row and no optimizer. The kernel's
// `training_form` (kernel_lib/diffwire/widget/workbench.py) reads the same.
import type { BlockSpec, GraphDoc } from "../types";
import type { OptimizerNode } from "./types";

export interface TrainingForm { inputs: string[]; outputs: string[]; optimizers: OptimizerNode[] }

/** The top graph's input and output names and optimizer nodes, in document order. */
export function trainingForm(doc: GraphDoc, specs: Map<string, BlockSpec>): TrainingForm {
  const role = (type: string) => specs.get(type)?.role ?? null;
  const named = (r: "input" | "output") => doc.nodes
    .filter((n) => role(n.type) === r && typeof n.params.name === "string")
    .map((n) => n.params.name as string);
  const optimizers = doc.nodes.filter((n) => role(n.type) === "optimizer").map((n) => ({
    id: n.id, kind: typeof n.params.kind === "string" ? n.params.kind : null, label: n.label ?? null,
  }));
  return { inputs: named("input"), outputs: named("output"), optimizers };
}
