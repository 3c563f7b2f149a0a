// The line under the canvas: the graph's size, how many problems the kernel found (those
// with no node to sit on are written out here) and how long its check took.
import type { GraphDoc } from "../types";
import type { Analysis } from "../hooks/useKernel";

export function StatusBar({ graph, analysis }: { graph: GraphDoc; analysis: Analysis }) {
  const nErrors = analysis.errors.filter((e) => e.severity === "error").length;
  const general = analysis.errors.filter((e) => !e.node);
  return (
    <div className="dw-statusbar">
      <span>{graph.nodes.length} nodes, {graph.edges.length} edges</span>
      <span className={`dw-error-count${nErrors ? " dw-has-errors" : ""}`} data-errors={nErrors}>{nErrors} errors</span>
      {general.map((e, i) => <span key={i} className="dw-msg-error">{e.text}</span>)}
      <span className="dw-validated">{analysis.ms ? `checked in ${analysis.ms.toFixed(0)} ms` : ""}</span>
    </div>
  );
}
