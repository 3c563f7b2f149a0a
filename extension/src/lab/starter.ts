// What File > New > Differentiable Program and "Open in a notebook" write.
import type { GraphDoc } from "../types";
import starter from "./starter.json";
import { docToText } from "./text";

/** The new program: Input -> MLP -> Output with a training section that fits y = sin(x)
 * from the built-in `sine` generator, so the new file trains as it is (Train in the
 * toolbar). The kernel library makes it (kernel_lib/diffwire/widget/starter.py: it knows
 * the blocks and their defaults) and writes starter.json, since JupyterLab creates the
 * file before any kernel runs; tests/test_lab_comm.py checks that the two agree. */
export const STARTER = starter as unknown as GraphDoc;

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
