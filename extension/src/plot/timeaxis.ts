// The loss plot's x axis by wall time instead of step: every run's
// records carry `wall` (seconds since the run started), streamed and kept like the other
// series; a line's steps become times by interpolating its run's wall series. Pure:
// unit-tested in test/timeaxis.test.ts.
import type { Envelope } from "./series";
import type { Line } from "./overlay";

/** A monotone map from steps `xs` to values `ys` (both ascending), by linear interpolation,
 * held flat past either end. */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number | null {
  const n = xs.length;
  if (!n) return null;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] <= x) lo = mid; else hi = mid; }
  const f = (x - xs[lo]) / (xs[hi] - xs[lo] || 1);
  return ys[lo] + f * (ys[hi] - ys[lo]);
}

/** `line` with its x in seconds, from its run's `wall` series (step -> seconds); null when
 * the run has no wall times (a run kept before they were recorded). */
export function byTime(line: Line, wall: { x: readonly number[]; y: readonly number[] } | null): Line | null {
  if (!wall || !wall.x.length) return null;
  const env: Envelope = { ...line.env, x: line.env.x.map((s) => interpolate(wall.x, wall.y, s) as number) };
  return { ...line, env };
}

/** Seconds back to a step on the current run's wall series (a zoom drawn in time asks the
 * kernel for a range of steps). */
export function stepAt(wall: { x: readonly number[]; y: readonly number[] }, seconds: number): number | null {
  return interpolate(wall.y, wall.x, seconds);
}
