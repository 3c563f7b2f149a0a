import { describe, expect, it } from "vitest";
import { FAR_ZOOM, viewportFor } from "../src/zoom";

describe("zoom levels", () => {
  it("switches to the simplified node where 12 px text is 4.2 px on screen", () => {
    expect(FAR_ZOOM).toBeCloseTo(0.35, 5);
  });
  it("fits a small box and starts a large one at its top-left at the readable zoom", () => {
    const small = viewportFor({ x: 0, y: 0, width: 400, height: 200 }, { width: 800, height: 600 }, 0.2);
    expect(small.zoom).toBeCloseTo(1.2);
    const big = viewportFor({ x: 100, y: 50, width: 20000, height: 8000 }, { width: 800, height: 600 }, 0.2);
    expect(big.zoom).toBe(0.2);
    expect(big.x).toBeCloseTo(800 * 0.08 - 100 * 0.2);
    expect(big.y).toBeCloseTo(600 * 0.08 - 50 * 0.2);
  });
});
