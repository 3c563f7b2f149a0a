// A search box of blocks (name and doc) that opens where the canvas was double-clicked or
// where a wire was dropped on empty canvas; Enter or a click picks the block.
import { useMemo, useState } from "react";
import type { BlockSpec, Catalog } from "../types";

export interface SearchAt {
  /** where to draw the box, in the canvas element's pixels */
  x: number;
  y: number;
  /** where the block goes, in graph coordinates */
  flow: { x: number; y: number };
  /** only these blocks (a wire's compatible ones); all when absent */
  only?: Set<string>;
  /** what the filter means ("blocks taking a tensor") */
  hint?: string;
}

const MAX = 80; // the list scrolls; a wire's compatible blocks are often most of them

/** Blocks matching `q` by name first, then by doc; within each, catalog order. */
export function searchBlocks(blocks: BlockSpec[], q: string): BlockSpec[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return blocks;
  const byName = blocks.filter((b) => b.type.toLowerCase().includes(needle));
  const byDoc = blocks.filter((b) => !byName.includes(b) && (b.doc.toLowerCase().includes(needle) || b.category.toLowerCase().includes(needle)));
  return [...byName, ...byDoc];
}

export function BlockSearch({ catalog, at, onPick, onClose }: {
  catalog: Catalog; at: SearchAt; onPick: (type: string) => void; onClose: () => void;
}) {
  const [q, setQ] = useState("");
  const [sel, setSel] = useState(0);
  const pool = useMemo(() => catalog.blocks.filter((b) => !at.only || at.only.has(b.type)), [catalog, at]);
  const hits = useMemo(() => searchBlocks(pool, q).slice(0, MAX), [pool, q]);
  const look = catalog.categories ?? {};
  return (
    <div className="dw-search-pop" style={{ left: at.x, top: at.y }} role="dialog" aria-label="add a block"
      onKeyDownCapture={(e) => {
        if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); onClose(); }
        else if (e.key === "ArrowDown") { e.preventDefault(); setSel((s) => Math.min(s + 1, hits.length - 1)); }
        else if (e.key === "ArrowUp") { e.preventDefault(); setSel((s) => Math.max(s - 1, 0)); }
        else if (e.key === "Enter" && hits[sel]) { e.preventDefault(); onPick(hits[sel].type); }
      }}>
      <input autoFocus className="dw-search-input" placeholder={at.hint ? `Search ${at.hint}` : "Search blocks"} value={q}
        onChange={(e) => { setQ(e.target.value); setSel(0); }} onBlur={(e) => {
          if (!e.currentTarget.parentElement?.contains(e.relatedTarget as Node | null)) onClose();
        }} />
      <div className="dw-search-hits">
        {hits.map((b, i) => (
          <button key={b.type} className={`dw-search-hit${i === sel ? " dw-active" : ""}`} data-block-type={b.type}
            onMouseDown={(e) => e.preventDefault()} onClick={() => onPick(b.type)} title={b.doc}>
            <span className="dw-search-icon" style={{ color: look[b.category]?.colour }}>{look[b.category]?.icon ?? ""}</span>
            <span className="dw-search-name">{b.type}</span>
            <span className="dw-search-doc">{firstLine(b.doc)}</span>
          </button>
        ))}
        {hits.length ? null : <div className="dw-search-none">no block matches</div>}
      </div>
    </div>
  );
}

/** A doc's first sentence, for one-line lists. */
export function firstLine(doc: string): string {
  const flat = doc.replace(/\s+/g, " ").trim();
  const m = flat.match(/^(.+?\.)(\s|$)/);
  return m ? m[1] : flat;
}
