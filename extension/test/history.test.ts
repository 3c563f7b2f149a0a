import { describe, expect, it } from "vitest";
import * as H from "../src/history";

describe("undo stack", () => {
  it("undoes and redoes", () => {
    let h = H.start(1);
    h = H.push(h, 2);
    h = H.push(h, 3);
    expect(H.undo(h).present).toBe(2);
    expect(H.undo(H.undo(h)).present).toBe(1);
    expect(H.redo(H.undo(h)).present).toBe(3);
    expect(H.undo(H.start(1)).present).toBe(1);
    expect(H.canUndo(h) && !H.canRedo(h)).toBe(true);
  });

  it("drops the redo branch on a new edit", () => {
    const h = H.push(H.undo(H.push(H.start("a"), "b")), "c");
    expect(h.future).toEqual([]);
    expect(H.undo(h).present).toBe("a");
  });

  it("ignores pushes of the same state and keeps a bounded past", () => {
    const h0 = H.start(0);
    expect(H.push(h0, 0)).toBe(h0);
    let h = h0;
    for (let i = 1; i <= H.LIMIT + 50; i++) h = H.push(h, i);
    expect(h.past).toHaveLength(H.LIMIT);
  });

  it("replaces without an undo step", () => {
    const h = H.replace(H.push(H.start(1), 2), 5);
    expect(h.present).toBe(5);
    expect(H.undo(h).present).toBe(1);
  });
});
