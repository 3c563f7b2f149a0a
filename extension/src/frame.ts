// What a running run sends (metrics, status, predictions: a burst every stream interval)
// is applied at the next animation frame, all of it together and rendered at once
// (flushSync), so the browser draws one frame per burst. Applied as each message came,
// every message rendered and drew a frame of its own, and with React's own scheduling a
// state set in one frame was drawn in the next: 3-4 frames per burst (measured in
// bench/kernel_training.py), each taking the cores the training runs on.
import { flushSync } from "react-dom";

const pending = new Map<object, () => void>();
let frame = 0;

/** Run `fn` at the next animation frame; a later call with the same `key` before then
 * replaces it (only the newest status or snapshot is drawn). */
export function atFrame(key: object, fn: () => void): void {
  pending.set(key, fn);
  if (!frame) frame = requestAnimationFrame(runFrame);
}

/** Forget what `key` asked for (its component is gone). */
export function dropFrame(key: object): void {
  pending.delete(key);
}

function runFrame() {
  frame = 0;
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
