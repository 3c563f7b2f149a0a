// A group frame on the canvas (frames.ts): a titled, coloured rectangle behind its nodes.
// Only the title bar takes the pointer (drag, double-click to rename, colour swatches when
// selected), so the pane inside still selects and pans; a selected frame can be resized.
import { memo, useState } from "react";
import { NodeResizer, type Node, type NodeProps } from "@xyflow/react";
import { FRAME_COLOURS, type Frame } from "../frames";
import { withAlpha } from "../plot/theme";

export interface FrameData extends Record<string, unknown> {
  frame: Frame;
  onChange: (id: string, patch: Partial<Omit<Frame, "id">>) => void;
}

export type FrameFlowNode = Node<FrameData, "frame">;

function FrameNodeView({ data, selected }: NodeProps<FrameFlowNode>) {
  const { frame, onChange } = data;
  const [editing, setEditing] = useState(false);
  return (
    <div className="dw-frame" data-frame={frame.id}
      style={{ borderColor: frame.colour, background: withAlpha(frame.colour, 0.08) }}>
      <NodeResizer isVisible={!!selected} minWidth={120} minHeight={80} color={frame.colour}
        onResizeEnd={(_, p) => onChange(frame.id, { x: Math.round(p.x), y: Math.round(p.y), width: Math.round(p.width), height: Math.round(p.height) })} />
      <div className="dw-frame-title" style={{ background: frame.colour }} onDoubleClick={() => setEditing(true)}
        title="drag to move the frame and its nodes; double-click to rename">
        {editing ? (
          <input className="dw-frame-input nodrag" autoFocus defaultValue={frame.title}
            onBlur={(e) => { setEditing(false); onChange(frame.id, { title: e.currentTarget.value }); }}
            onKeyDown={(e) => {
              if (e.key === "Enter") e.currentTarget.blur();
              if (e.key === "Escape") { e.currentTarget.value = frame.title; e.currentTarget.blur(); }
            }} />
        ) : <span className="dw-frame-name">{frame.title || "(untitled)"}</span>}
        {selected ? (
          <span className="dw-frame-colours nodrag">
            {FRAME_COLOURS.map((c) => (
              <button key={c} className="dw-frame-swatch" style={{ background: c }} title={`colour ${c}`} data-colour={c}
                onClick={(e) => { e.stopPropagation(); onChange(frame.id, { colour: c }); }} />
            ))}
          </span>
        ) : null}
      </div>
    </div>
  );
}

export const FrameNode = memo(FrameNodeView);
