// What File > New > Differentiable Program and "Open in a notebook" write.
import type { GraphDoc } from "../types";
import { docToText } from "./text";

/** Input -> MLP -> Output, with a training section that fits y = sin(x) from the built-in
 * `sine` generator, so the new file trains as it is (Train in the toolbar). */
export const STARTER: GraphDoc = {
  format: "diffwire/1",
  nodes: [
    { id: "x", type: "Input", params: { dtype: "float32", kind: "tensor", name: "x", shape: [null, 1] }, position: [0, 0] },
    { id: "mlp", type: "MLP", params: { activation: "tanh", bias: true, final_activation: "none", widths: [1, 32, 32, 1] }, position: [220, 80] },
    { id: "y", type: "Output", params: { name: "y" }, position: [440, 0] },
    {
      id: "optim", type: "Optimizer", position: [220, 260],
      params: {
        kind: "adam", lr: 0.01, momentum: 0, nesterov: false, betas: [0.9, 0.999], weight_decay: 0, grad_clip: 0,
        schedule: "none", step_size: 100, gamma: 0.5, t_max: 0, eta_min: 0, history_size: 100, max_iter: 20,
        line_search: "strong_wolfe", nodes: [],
      },
    },
  ],
  edges: [
    { source: "x", source_port: "out", target: "mlp", target_port: "x" },
    { source: "mlp", source_port: "out", target: "y", target_port: "x" },
  ],
  training: {
    data: {
      x: { source: "generator", name: "sine", kwargs: { n: 256, noise: 0.05 } },
      y: { source: "generator", name: "sine", kwargs: { n: 256, noise: 0.05 } },
    },
    loss: { output: "y", target: "y", fn: "mse" },
    optimizer: "optim",
    steps: 2000,
  },
};

export const STARTER_TEXT = docToText(STARTER);

/** A notebook whose first cells load `file` (a name beside the notebook) in dw.Editor. */
export function notebookFor(file: string): Record<string, unknown> {
  const code = (source: string) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "python3", display_name: "Python 3 (ipykernel)", language: "python" },
      language_info: { name: "python" },
    },
    cells: [
      { cell_type: "markdown", metadata: {}, source: `# ${file}\n\nThe program in \`${file}\`, in the editor. \`ed.graph\` is what the canvas shows; \`ed.save()\` writes it back to the file.` },
      code(`import diffwire as dw\n\ned = dw.Editor(${JSON.stringify(file)})\ned`),
      code("g = ed.graph\ng.validate()"),
    ],
  };
}
