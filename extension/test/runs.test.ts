import { describe, expect, it } from "vitest";
import { PALETTE, assignColors, diffLines, fmtLoss, fmtStart, orderRuns, runLabel, runNumbers, withLive } from "../src/workbench/runs";
import type { RunRow } from "../src/workbench/types";

const run = (id: string, extra: Partial<RunRow> = {}): RunRow => ({
  id, name: "", pinned: false, note: "", state: "finished", started: null, step: 10, steps: 10, loss: 1, best_loss: 1,
  val_loss: null, checkpoints: [], parent: null, parent_step: null, live: false, ...extra,
});

describe("runs table helpers", () => {
  it("keeps a run's colour while it stays selected", () => {
    const a = assignColors(["r1", "r2"], {});
    expect(a).toEqual({ r1: PALETTE[0], r2: PALETTE[1] });
    const b = assignColors(["r2", "r3"], a);
    expect(b.r2).toBe(PALETTE[1]);
    expect(b.r3).toBe(PALETTE[0]);  // the first free colour
    expect(new Set(Object.values(assignColors(["a", "b", "c", "d"], {}))).size).toBe(4);
  });
  it("orders pinned first, then newest", () => {
    const ids = orderRuns([run("20261130-100000-aaaa"), run("20261130-110000-bbbb"), run("20261129-090000-cccc", { pinned: true })]).map((r) => r.id);
    expect(ids).toEqual(["20261129-090000-cccc", "20261130-110000-bbbb", "20261130-100000-aaaa"]);
  });
  it("formats losses plainly", () => {
    expect(fmtLoss(0.012345)).toBe("0.01235");
    expect(fmtLoss(1.5e-5)).toBe("1.50e-5");
    expect(fmtLoss(null)).toBe("–");
    expect(fmtLoss(Number.NaN)).toBe("–");
    expect(fmtLoss(0)).toBe("0");
  });
  it("numbers unnamed runs by start", () => {
    const rs = [run("20261130-110000-bbbb"), run("20261130-100000-aaaa", { name: "base" })];
    const n = runNumbers(rs);
    expect(runLabel(rs[0], n.get(rs[0].id))).toBe("run 2");
    expect(runLabel(rs[1], n.get(rs[1].id))).toBe("base");
  });
  it("formats start times", () => {
    const now = new Date("2026-11-30T12:00:00Z");
    expect(fmtStart("2026-11-30T11:05:09Z", now)).toBe("11:05");
    expect(fmtStart("2026-11-29T11:05:09Z", now)).toBe("11-29 11:05");
    expect(fmtStart(null, now)).toBe("");
  });
  it("writes a diff as lines", () => {
    const d = diffLines({
      a: "r1", b: "r2",
      graph: { added: [{ node: "mlp2", type: "MLP" }], removed: [], changed: [{ node: "mlp", params: { widths: [[1, 32, 1], [1, 64, 1]] } }],
        edges_added: ["x.out -> mlp2.x"], edges_removed: [] },
      hparams: [{ key: "training.steps", a: 300, b: 500 }, { key: "seed", a: 0 }, { key: "steps", a: 300, b: 500 },
        { key: "parent", a: null, b: { run: "r1", step: 150, kind: "fork", checkpoint: "step_0000150.pt", path: "../r1" } }],
    });
    expect(d.graph).toEqual(["+ node mlp2 (MLP)", "~ mlp.widths: [1,32,1] -> [1,64,1]", "+ edge x.out -> mlp2.x"]);
    expect(d.hparams).toEqual(["steps: 300 -> 500", "seed: 0 -> (unset)", "parent: none -> forked from r1 at step 150"]);
  });
});

describe("the run going now in the table", () => {
  const rows = [run("a", { state: "running", step: 100, loss: 0.5, best_loss: 0.4, live: true }), run("b")];
  it("shows the streamed step, state and losses ahead of the kept record", () => {
    const out = withLive(rows, { run: "a", state: "running", step: 730, loss: 0.2, best: 0.15 });
    expect(out[0]).toMatchObject({ step: 730, loss: 0.2, best_loss: 0.15, state: "running", live: true });
    expect(out[1]).toBe(rows[1]);
  });
  it("a paused run reads paused; the record's best stays when nothing better streamed", () => {
    const out = withLive(rows, { run: "a", state: "paused", step: 50, loss: null, best: 0.9 });
    expect(out[0]).toMatchObject({ state: "paused", step: 100, loss: 0.5, best_loss: 0.4 });
  });
  it("an ended run is the kept record's (the kernel sends the table again)", () => {
    expect(withLive(rows, { run: "a", state: "finished", step: 999, loss: 0.1, best: 0.1 })).toBe(rows);
  });
});
