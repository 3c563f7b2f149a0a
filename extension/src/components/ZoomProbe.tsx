// Writes the current zoom on the canvas element (data-zoom) without re-rendering the
// editor: browser tests and benchmarks read it to check what is legible at that zoom.
import { useEffect, type RefObject } from "react";
import { useStore } from "@xyflow/react";

const zoomOf = (s: { transform: [number, number, number] }) => s.transform[2];

export function ZoomProbe({ target }: { target: RefObject<HTMLElement | null> }) {
  const zoom = useStore(zoomOf);
  useEffect(() => {
    if (target.current) target.current.dataset.zoom = zoom.toFixed(4);
  }, [zoom, target]);
  return null;
}
