// The palette: every block in the catalog, by category, with search and docs on hover.
import { memo, useMemo, useState } from "react";
import type { BlockSpec, Catalog } from "../types";

export const DRAG_TYPE = "application/x-diffwire-block";

function PaletteView({ catalog, onAdd }: { catalog: Catalog; onAdd: (type: string) => void }) {
  const [q, setQ] = useState("");
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const out = new Map<string, BlockSpec[]>();
    for (const b of catalog.blocks) {
      if (needle && !b.type.toLowerCase().includes(needle) && !b.category.toLowerCase().includes(needle) && !b.doc.toLowerCase().includes(needle)) continue;
      out.set(b.category, [...(out.get(b.category) ?? []), b]);
    }
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [catalog, q]);
  return (
    <div className="dw-palette">
      <input className="dw-search" placeholder="Search blocks" value={q} onChange={(e) => setQ(e.target.value)} />
      <div className="dw-palette-list">
        {groups.map(([cat, blocks]) => (
          <div key={cat} className="dw-cat">
            <div className="dw-cat-name">{cat}</div>
            {blocks.map((b) => (
              <div
                key={b.type}
                className="dw-palette-item"
                data-block-type={b.type}
                draggable
                title={b.doc}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, b.type);
                  e.dataTransfer.effectAllowed = "move";
                }}
                onDoubleClick={() => onAdd(b.type)}
              >
                {b.type}
              </div>
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}

export const Palette = memo(PaletteView);
