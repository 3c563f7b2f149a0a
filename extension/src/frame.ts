// What a running run sends (metrics, status, predictions: a burst every stream interval)
// is applied at the next animation frame, all of it together and rendered at once
// (flushSync), so the browser draws one frame per burst. Applied as each message came,
// every message rendered and drew a frame of its own, and with React's own scheduling a
// state set in one frame was drawn in the next: 3-4 frames per burst (measured in
// bench/kernel_training.py), each taking the cores the training runs on.
// The messages of one burst come as separate WebSocket messages, a few milliseconds apart
// (more on a loaded machine), and the snapshot a training step after the rest: the first of
// them waits `GATHER_MS` for the others before the frame is asked for. A person does not see
// 50 ms on a live plot; in a traced LV run the page drew 9 frames a second instead of 15.
import { flushSync } from "react-dom";

/** how long the first update of a burst waits for the rest before a frame is asked for */
export const GATHER_MS = 50;

const pending = new Map<object, () => void>();
let waiting = false;

/** Run `fn` at the animation frame after the current burst of updates; a later call with the
 * same `key` before then replaces it (only the newest status or snapshot is drawn). */
export function atFrame(key: object, fn: () => void): void {
  pending.set(key, fn);
  if (waiting) return;
  waiting = true;
  window.setTimeout(() => requestAnimationFrame(runFrame), GATHER_MS);
}

/** Forget what `key` asked for (its component is gone). */
export function dropFrame(key: object): void {
  pending.delete(key);
}

function runFrame() {
  waiting = false;
  const fns = [...pending.values()];
  pending.clear();
  flushSync(() => {
    for (const fn of fns) {
      try {
        fn();
      } catch (e) {
        console.error(e); // one broken update must not keep the others from the page
      }
    }
  });
}
