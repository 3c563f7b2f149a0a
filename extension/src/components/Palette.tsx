// The palette: every block in the catalog under its category (title, colour and icon from
// the catalog), categories fold, each block with its doc's first line; search by name and
// doc; the blocks used last on top.
import { memo, useMemo, useState } from "react";
import type { BlockSpec, Catalog } from "../types";
import { firstLine, searchBlocks } from "./BlockSearch";

export const DRAG_TYPE = "application/x-diffwire-block";
const RECENT = 5;

function PaletteView({ catalog, onAdd, recent }: { catalog: Catalog; onAdd: (type: string) => void; recent: string[] }) {
  const [q, setQ] = useState("");
  const [closed, setClosed] = useState<Set<string>>(() => new Set());
  const looks = catalog.categories ?? {};
  const groups = useMemo(() => {
    const out = new Map<string, BlockSpec[]>();
    for (const b of searchBlocks(catalog.blocks, q)) out.set(b.category, [...(out.get(b.category) ?? []), b]);
    const order = (c: string) => looks[c]?.order ?? 1e9;
    return [...out.entries()].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b));
  }, [catalog, q, looks]);
  const recentSpecs = useMemo(
    () => (q ? [] : recent.map((t) => catalog.blocks.find((b) => b.type === t)).filter((b): b is BlockSpec => !!b).slice(0, RECENT)),
    [recent, catalog, q],
  );
  const toggle = (c: string) => setClosed((s) => { const n = new Set(s); if (n.has(c)) n.delete(c); else n.add(c); return n; });
  const item = (b: BlockSpec, key: string) => (
    <div
      key={key}
      className="dw-palette-item"
      data-block-type={b.type}
      draggable
      title={b.doc}
      style={{ borderLeftColor: looks[b.category]?.colour }}
      onDragStart={(e) => {
        e.dataTransfer.setData(DRAG_TYPE, b.type);
        e.dataTransfer.effectAllowed = "move";
      }}
      onDoubleClick={() => onAdd(b.type)}
    >
      <div className="dw-palette-name">{b.type}</div>
      <div className="dw-palette-doc">{firstLine(b.doc)}</div>
    </div>
  );
  return (
    <div className="dw-palette">
      <input className="dw-search" placeholder="Search blocks" value={q} onChange={(e) => setQ(e.target.value)} />
      <div className="dw-palette-list">
        {recentSpecs.length ? (
          <div className="dw-cat dw-recent">
            <div className="dw-cat-name">Recently used</div>
            {recentSpecs.map((b) => item(b, "recent-" + b.type))}
          </div>
        ) : null}
        {groups.map(([cat, blocks]) => {
          const open = q !== "" || !closed.has(cat);
          return (
            <div key={cat} className="dw-cat" data-category={cat}>
              <button className="dw-cat-name" aria-expanded={open} onClick={() => toggle(cat)} title={open ? "fold" : "unfold"}>
                <span className="dw-cat-icon" style={{ background: looks[cat]?.colour }}>{looks[cat]?.icon ?? ""}</span>
                <span className="dw-cat-title">{looks[cat]?.title ?? cat}</span>
                <span className="dw-cat-count">{blocks.length} {open ? "\u25BE" : "\u25B8"}</span>
              </button>
              {open ? blocks.map((b) => item(b, b.type)) : null}
            </div>
          );
        })}
      </div>
    </div>
  );
}

export const Palette = memo(PaletteView);
