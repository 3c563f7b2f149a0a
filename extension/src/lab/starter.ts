// What File > New > Differentiable Program and "Open in a notebook" write.
import type { GraphDoc } from "../types";
import { docToText } from "./text";

/** Input -> MLP -> Output: the smallest program that trains. */
export const STARTER: GraphDoc = {
  format: "diffwire/1",
  nodes: [
    { id: "x", type: "Input", params: { dtype: "float32", kind: "tensor", name: "x", shape: [null, 1] }, position: [0, 0] },
    { id: "mlp", type: "MLP", params: { activation: "tanh", bias: true, final_activation: "none", widths: [1, 32, 32, 1] }, position: [220, 80] },
    { id: "y", type: "Output", params: { name: "y" }, position: [440, 0] },
  ],
  edges: [
    { source: "x", source_port: "out", target: "mlp", target_port: "x" },
    { source: "mlp", source_port: "out", target: "y", target_port: "x" },
  ],
  training: {},
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
