// The live panel's line after a live run was rebuilt (the kernel's `rebuild` event): which
// nodes kept their weights and which start afresh. Unit-tested in test/rebuild.test.ts.
import type { KernelEvent } from "./types";

export type RebuildEvent = Extract<KernelEvent, { event: "rebuild" }>;

/** "rebuilt at step 120: kept x, mlp; started afresh: mlp2; removed: old" */
export function rebuildText(ev: Omit<RebuildEvent, "event">): string {
  const parts = [`rebuilt at step ${ev.step}: kept ${ev.kept.length ? ev.kept.join(", ") : "no weights"}`];
  if (ev.reset.length) parts.push(`started afresh: ${ev.reset.join(", ")}`);
  if (ev.removed.length) parts.push(`removed: ${ev.removed.join(", ")}`);
  if (ev.optimizer_reset) parts.push("new optimizer state");
  return parts.join("; ");
}
