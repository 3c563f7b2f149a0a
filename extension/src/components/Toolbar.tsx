// The bar above the canvas: where the canvas is (a breadcrumb back out of bodies), and the
// editor's commands as buttons, each with the key that does the same in its title.
import type * as G from "../graph";
import type { EditorActions } from "../hooks/useEditorActions";

interface Props {
  path: G.GraphPath;
  onLeaveTo: (depth: number) => void;
  actions: EditorActions;
  canUndo: boolean;
  canRedo: boolean;
  selected: string[];
  showStats: boolean;
  onToggleStats: () => void;
}

export function Toolbar({ path, onLeaveTo, actions, canUndo, canRedo, selected, showStats, onToggleStats }: Props) {
  const crumbs = [{ label: "graph", depth: 0 }, ...path.map((r, i) => ({ label: `${r.node}.${r.body}`, depth: i + 1 }))];
  return (
    <div className="dw-toolbar">
      <div className="dw-breadcrumb">
        {crumbs.map((c) => (
          <button key={c.depth} className="dw-crumb" disabled={c.depth === path.length} onClick={() => onLeaveTo(c.depth)}>{c.label}</button>
        ))}
      </div>
      <button title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={actions.undo} className="dw-undo">Undo</button>
      <button title="Redo (Shift+Ctrl+Z)" disabled={!canRedo} onClick={actions.redo} className="dw-redo">Redo</button>
      <button title="Group the selection into a new body (Ctrl+G)" className="dw-group" disabled={selected.length === 0}
        onClick={() => actions.group(selected)}>Group</button>
      <button title="Ungroup the selected group (Shift+Ctrl+G)" className="dw-ungroup"
        disabled={!actions.canUngroup(selected)} onClick={() => actions.ungroup(selected)}>Ungroup</button>
      <button title="Frame the selection: a titled, coloured frame that moves its nodes (Shift+F)" className="dw-frame-btn"
        disabled={selected.length === 0 || !actions.atTop} onClick={() => actions.frame(selected)}>Frame</button>
      <button title="Auto-layout (L)" onClick={() => void actions.layout()}>Layout</button>
      <button title="Fit (F)" onClick={actions.fit}>Fit</button>
      <button title="Validate" onClick={actions.validate}>Validate</button>
      <button title="Show each node's output mean and std, the gradient norm of its weights and what its block reports, while a run streams"
        className={`dw-stats-toggle${showStats ? " dw-on" : ""}`} aria-pressed={showStats}
        onClick={onToggleStats}>Stats</button>
    </div>
  );
}
