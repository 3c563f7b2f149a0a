// Zoom levels at which the canvas changes how much it draws, derived from font sizes so
// that whatever is drawn can be read: text smaller than READABLE_PX on screen is a smudge.

/** The smallest on-screen text size (CSS px) still read without effort in Chromium. */
export const READABLE_PX = 4.2;
/** The smallest text in a full node (port names, shapes, params, formulas); styles.css. */
export const DETAIL_FONT_PX = 12;
/** The label of the simplified node drawn below FAR_ZOOM; styles.css. */
export const FAR_LABEL_PX = 30;

/** Below this zoom a node drops to its simplified view (type and label only). */
export const FAR_ZOOM = READABLE_PX / DETAIL_FONT_PX;
/** The simplified node's label stays readable down to this zoom. */
export const FAR_READABLE_ZOOM = READABLE_PX / FAR_LABEL_PX;
/** A body opens at this zoom or more: full detail, a little above the switch so that a
 * small zoom-out does not drop it to the simplified view. */
export const BODY_MIN_ZOOM = Math.min(1, FAR_ZOOM * 1.2);

/** The viewport that shows `box` (graph px) in a `view` (screen px): fitted when that zoom
 * is at least `minZoom`, else at `minZoom` from the box's top-left corner, where a laid-out
 * graph starts, rather than its middle. */
export function viewportFor(
  box: { x: number; y: number; width: number; height: number },
  view: { width: number; height: number }, minZoom: number, maxZoom = 1.2, pad = 0.08,
): { x: number; y: number; zoom: number } {
  const fit = Math.min(view.width * (1 - 2 * pad) / Math.max(box.width, 1), view.height * (1 - 2 * pad) / Math.max(box.height, 1), maxZoom);
  if (fit >= minZoom) {
    return { x: (view.width - box.width * fit) / 2 - box.x * fit, y: (view.height - box.height * fit) / 2 - box.y * fit, zoom: fit };
  }
  return { x: view.width * pad - box.x * minZoom, y: view.height * pad - box.y * minZoom, zoom: minZoom };
}

/** Fit the whole graph (F, the toolbar's Fit, after leaving a body). */
export const FIT = { padding: 0.15, maxZoom: 1.2 };
/** A body opens with full node detail, fitted when it is small enough to fit at that zoom. */
export const FIT_BODY = { padding: 0.15, maxZoom: 1.2, minZoom: BODY_MIN_ZOOM };
/** After auto-layout: the whole graph when its labels stay readable, else its middle at a
 * zoom where the simplified nodes can be read (pan or press F to see all). */
export const FIT_LAYOUT = { padding: 0.1, maxZoom: 1.2, minZoom: FAR_READABLE_ZOOM * 1.6 };

/** The half-octave step of zoom below 1 that `zoom` lies in: 0 at zoom 1 and above, k where
 * zoom is in [2^(-k/2), 2^(-(k-1)/2)). One integer, so a component that reads it re-renders
 * only when the zoom crosses a step (WireScale.tsx). */
export function wireStep(zoom: number): number {
  return zoom >= 1 ? 0 : Math.ceil(-2 * Math.log2(Math.max(zoom, 1e-3)) - 1e-9);
}

/** The factor wires and selection rings are widened by at a step: the inverse of the step's
 * smallest zoom, so on screen they are never thinner than at zoom 1. */
export const wireScale = (step: number) => 2 ** (step / 2);
