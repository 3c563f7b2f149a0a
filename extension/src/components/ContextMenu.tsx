// The right-click menu of nodes, edges and the canvas: a list of commands the editor
// already has (each one undo step), drawn where the click was.
export interface MenuItem { label: string; keys?: string; run: () => void; disabled?: boolean }
export interface MenuAt { x: number; y: number; title: string; items: MenuItem[] }

export function ContextMenu({ at, onClose }: { at: MenuAt; onClose: () => void }) {
  return (
    <div className="dw-menu" role="menu" style={{ left: at.x, top: at.y }} onMouseLeave={onClose}>
      <div className="dw-menu-title">{at.title}</div>
      {at.items.map((it) => (
        <button key={it.label} role="menuitem" className="dw-menu-item" disabled={it.disabled}
          data-command={it.label} onClick={() => { onClose(); it.run(); }}>
          <span>{it.label}</span>{it.keys ? <span className="dw-menu-keys">{it.keys}</span> : null}
        </button>
      ))}
    </div>
  );
}
