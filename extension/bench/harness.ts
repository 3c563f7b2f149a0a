// In-page measurement shared by both benchmark pages: time to first render, and pan
// frames per second driven by pointer events dispatched inside the page, one per frame.
declare global {
  interface Window {
    __DW_BENCH__?: { doc: unknown; catalog: unknown; n: number };
    __bench?: { firstRender: number; pan: (frames: number) => Promise<number> };
    __rf?: { setViewport: (v: { x: number; y: number; zoom: number }) => Promise<boolean> | void; fitView: () => unknown };
  }
}

export function markWhenRendered(n: number) {
  const tick = () => {
    const nodes = document.querySelectorAll(".react-flow__node");
    const viewport = document.querySelector(".react-flow__viewport");
    if (nodes.length >= n && viewport && (nodes[0] as HTMLElement).style.visibility !== "hidden") {
      // one more frame so the frame with every node is painted
      requestAnimationFrame(() => {
        // from navigation start: page load, script parse and render, for both pages alike
        window.__bench = { firstRender: performance.now() / 1000, pan };
      });
    } else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function viewportTransform(): string {
  return (document.querySelector(".react-flow__viewport") as HTMLElement).style.transform;
}

/** Pan by dragging the pane: count animation frames in which the viewport moved. */
async function pan(frames: number): Promise<number> {
  const pane = document.querySelector(".react-flow__pane") as HTMLElement;
  const r = pane.getBoundingClientRect();
  let x = r.left + r.width / 2, y = r.top + r.height / 2;
  const opts = (cx: number, cy: number) => ({ bubbles: true, cancelable: true, clientX: cx, clientY: cy, pointerId: 1, pointerType: "mouse", isPrimary: true, button: 0, buttons: 1, view: window });
  pane.dispatchEvent(new PointerEvent("pointerdown", opts(x, y)));
  pane.dispatchEvent(new MouseEvent("mousedown", opts(x, y)));
  let moved = 0, last = viewportTransform(), dir = 1, i = 0;
  const start = performance.now();
  await new Promise<void>((done) => {
    const step = () => {
      const now = viewportTransform();
      if (now !== last) moved += 1;
      last = now;
      if (i++ >= frames) return done();
      if (i % 60 === 0) dir = -dir;
      x += 6 * dir; y += 3 * dir;
      window.dispatchEvent(new PointerEvent("pointermove", opts(x, y)));
      window.dispatchEvent(new MouseEvent("mousemove", opts(x, y)));
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
  const secs = (performance.now() - start) / 1000;
  window.dispatchEvent(new PointerEvent("pointerup", opts(x, y)));
  window.dispatchEvent(new MouseEvent("mouseup", opts(x, y)));
  return moved / secs;
}
