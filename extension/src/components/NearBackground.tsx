// The canvas's dot grid, drawn only while nodes show full detail. React Flow's Background
// moves its pattern on every pan frame, which repaints it each frame; below FAR_ZOOM its
// dots are under a pixel apart in size (they scale with zoom) and nothing can be seen of
// them, so the simplified view pans without that repaint (bench/editor_canvas.py).
import { Background, useStore } from "@xyflow/react";
import { FAR_ZOOM } from "../zoom";

/** One boolean, so this re-renders only when the zoom crosses FAR_ZOOM. */
const near = (s: { transform: [number, number, number] }) => s.transform[2] >= FAR_ZOOM;

export function NearBackground() {
  return useStore(near) ? <Background gap={20} size={1} /> : null;
}
