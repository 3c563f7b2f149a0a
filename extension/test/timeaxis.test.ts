import { describe, expect, it } from "vitest";
import { byTime, interpolate, stepAt } from "../src/plot/timeaxis";

const line = { key: "cur:loss", metric: "loss", label: "loss", color: "#000", run: null, band: true,
  env: { x: [0, 5, 10], y: [3, 2, 1], lo: [3, 2, 1], hi: [3, 2, 1] } };

describe("time axis", () => {
  it("interpolates, flat past the ends", () => {
    expect(interpolate([0, 10], [0, 2], 5)).toBe(1);
    expect(interpolate([0, 10], [0, 2], -1)).toBe(0);
    expect(interpolate([0, 10], [0, 2], 20)).toBe(2);
    expect(interpolate([], [], 1)).toBeNull();
  });

  it("maps a line's steps to its run's seconds, values unchanged", () => {
    const t = byTime(line, { x: [0, 10], y: [0.5, 1.5] })!;
    expect(t.env.x).toEqual([0.5, 1, 1.5]);
    expect(t.env.y).toEqual([3, 2, 1]);
    expect(byTime(line, null)).toBeNull();
    expect(stepAt({ x: [0, 10], y: [0.5, 1.5] }, 1)).toBe(5);
  });
});
