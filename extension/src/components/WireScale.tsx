// Keeps wires and selection marks at least a screen pixel wide at every zoom. They are drawn
// in graph units, so they shrink with the zoom (2 px at zoom 0.117 is 0.23 px on screen).
// This writes one CSS variable, --dw-wire, on the canvas: the factor styles.css multiplies
// every wire's and selection ring's width by. It changes in half-octave steps of zoom (a
// zoom below 1 drops by a factor of sqrt 2 per step), so a pan writes nothing and repaints
// nothing, and a zoom restyles the edges only when it crosses a step; on screen a wire is
// 1 to 1.41 times its width at zoom 1.
import { useLayoutEffect, type RefObject } from "react";
import { useStore } from "@xyflow/react";
import { wireStep, wireScale } from "../zoom";

const step = (s: { transform: [number, number, number] }) => wireStep(s.transform[2]);

export function WireScale({ target }: { target: RefObject<HTMLElement | null> }) {
  const k = useStore(step);
  useLayoutEffect(() => {
    target.current?.style.setProperty("--dw-wire", wireScale(k).toFixed(4));
  }, [k, target]);
  return null;
}
