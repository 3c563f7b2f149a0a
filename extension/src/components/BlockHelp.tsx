// A block's documentation over the canvas (the node menu's Help): its docstring, its
// palette category and what each param means, all from the catalog.
import type { BlockSpec, Catalog } from "../types";
import { firstLine } from "./BlockSearch";

export function BlockHelp({ spec, catalog, onClose }: { spec: BlockSpec; catalog: Catalog; onClose: () => void }) {
  return (
    <div className="dw-help" role="note" data-help={spec.type}>
      <button className="dw-refusal-close" onClick={onClose} title="close">&#215;</button>
      <b>{spec.type}</b> <span className="dw-help-cat">{catalog.categories?.[spec.category]?.title ?? spec.category}</span>
      <p>{spec.doc || firstLine("(no documentation)")}</p>
      <ul>{spec.params.map((p) => <li key={p.name}><code>{p.name}</code> {p.doc}</li>)}</ul>
    </div>
  );
}
