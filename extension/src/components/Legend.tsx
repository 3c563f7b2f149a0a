// Which colour is which port kind: only the kinds wired on the canvas now, colours from
// the catalog.
import { memo } from "react";
import type { Edge } from "@xyflow/react";

function LegendView({ edges, colours }: { edges: Edge[]; colours: Record<string, string> }) {
  const kinds = [...new Set(edges.map((e) => (e.data as { kind?: string } | undefined)?.kind).filter((k): k is string => !!k && !!colours[k]))].sort();
  if (!kinds.length) return null;
  return (
    <div className="dw-legend" aria-label="wire colours">
      {kinds.map((k) => (
        <span key={k} className="dw-legend-item" data-kind={k}>
          <span className="dw-legend-swatch" style={{ background: colours[k] }} />{k}
        </span>
      ))}
    </div>
  );
}

export const Legend = memo(LegendView);
