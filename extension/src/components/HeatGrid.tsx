// A dataflow matrix's links as a small heat grid on its node: one cell per link (row: the
// stream it feeds; column: the stream, input or constant it reads), darker for a stronger
// link; a pruned link fades to a pale, crossed-out cell, so sparsification shows as it runs.
import { memo } from "react";
import type { LinkMatrix } from "../types";

const CELL = 12; // px: a 16-column matrix stays about as wide as a node

function HeatGridView({ matrix }: { matrix: LinkMatrix }) {
  const { values, mask } = matrix;
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  let top = 0;
  values.forEach((r, i) => r.forEach((v, j) => { if (mask[i]?.[j] && v > top) top = v; }));
  const kept = mask.reduce((n, r) => n + r.filter((m) => m > 0).length, 0);
  return (
    <div className="dw-heat" data-heat-grid data-links={kept} title="links of the network matrix: rows feed a stream, columns are read; pale crossed cells are pruned">
      <svg width={cols * CELL} height={rows * CELL} role="img" aria-label={`link matrix, ${kept} of ${rows * cols} links kept`}>
        {values.map((r, i) => r.map((v, j) => {
          const pruned = !(mask[i]?.[j] > 0);
          const x = j * CELL, y = i * CELL;
          const a = pruned || top <= 0 ? 0 : 0.15 + 0.85 * Math.min(1, v / top);
          return (
            <g key={`${i}-${j}`} data-cell={`${i},${j}`} data-pruned={pruned ? 1 : 0}>
              <rect x={x + 0.5} y={y + 0.5} width={CELL - 1} height={CELL - 1}
                className={pruned ? "dw-heat-pruned" : "dw-heat-cell"}
                style={pruned ? undefined : { fillOpacity: a }} />
              {pruned ? <path d={`M${x + 2} ${y + 2}L${x + CELL - 2} ${y + CELL - 2}`} className="dw-heat-cross" /> : null}
            </g>
          );
        }))}
      </svg>
      <div className="dw-heat-caption">links {kept}/{rows * cols}</div>
    </div>
  );
}

export const HeatGrid = memo(HeatGridView);
