// Vertical markers on the loss plot where something changed the run: a learning-rate
// change, a rebuild, a switch of optimizer phase, a pause, a fork's start. The kernel sends
// them (`markers` events as they happen, and with the whole-run `history`); this draws them
// on the uPlot canvas, dashed, labelled at the top.
import type uPlot from "uplot";

export interface Marker { step: number; kind: string; label: string }

export const MARKER_COLOURS: Record<string, string> = {
  lr: "#d97706", rebuild: "#7c3aed", phase: "#0891b2", pause: "#6b7280", fork: "#16a34a",
};

/** `a` with `b` added, one marker per (step, kind, label), sorted by step. */
export function mergeMarkers(a: Marker[], b: Marker[]): Marker[] {
  const seen = new Set(a.map(key));
  const out = [...a];
  for (const m of b) if (!seen.has(key(m))) { seen.add(key(m)); out.push(m); }
  return out.sort((p, q) => p.step - q.step);
}

function key(m: Marker): string { return `${m.step}|${m.kind}|${m.label}`; }

/** A short text of the markers (a data attribute read by tests): `kind@step,...`. */
export function describeMarkers(ms: Marker[]): string {
  return ms.map((m) => `${m.kind}@${m.step}`).join(",");
}

/** Draw `ms` on `u`'s plot area (a uPlot `draw` hook); `at` maps a step to the x scale (the
 * plot by time). Labels that would overlap the one before are left out; the line is always
 * drawn. */
export function drawMarkers(u: uPlot, ms: Marker[], at: (step: number) => number | null = (s) => s) {
  const { ctx, bbox } = u;
  const [lo, hi] = [u.scales.x.min ?? -Infinity, u.scales.x.max ?? Infinity];
  const px = window.devicePixelRatio || 1;
  ctx.save();
  ctx.font = `${Math.round(10 * px)}px sans-serif`;
  ctx.textBaseline = "top";
  let lastRight = -Infinity;
  for (const m of ms) {
    const v = at(m.step);
    if (v === null || v < lo || v > hi) continue;
    const x = Math.round(u.valToPos(v, "x", true));
    const c = MARKER_COLOURS[m.kind] ?? "#6b7280";
    ctx.strokeStyle = c;
    ctx.lineWidth = px;
    ctx.setLineDash([4 * px, 3 * px]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    const w = ctx.measureText(m.label).width;
    if (x + 3 * px > lastRight) {
      ctx.fillStyle = c;
      ctx.fillText(m.label, Math.min(x + 3 * px, bbox.left + bbox.width - w), bbox.top + 2 * px);
      lastRight = x + 3 * px + w + 4 * px;
    }
  }
  ctx.restore();
}
