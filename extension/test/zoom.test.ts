import { describe, expect, it } from "vitest";
import { FAR_ZOOM, viewportFor, wireScale, wireStep } from "../src/zoom";

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

describe("wire scale", () => {
  it("is 1 at zoom 1 and above, so wires and rings are drawn as before there", () => {
    for (const z of [1, 1.2, 2]) expect(wireScale(wireStep(z))).toBe(1);
  });

  it("keeps a wire 1 to 1.42 times its zoom-1 width on screen at every zoom below 1", () => {
    for (let z = 0.05; z < 1; z *= 1.013) {
      const onScreen = z * wireScale(wireStep(z));
      expect(onScreen).toBeGreaterThanOrEqual(1 - 1e-9);
      expect(onScreen).toBeLessThan(Math.SQRT2 + 1e-9);
    }
  });

  it("changes only at half-octave steps, so a zoom within one step writes nothing", () => {
    expect(wireStep(0.117)).toBe(wireStep(0.12));
    expect(wireStep(0.71)).toBe(1);
    expect(wireStep(Math.SQRT1_2)).toBe(1);
    expect(wireStep(0.7)).toBe(2);
    expect(wireStep(0.5)).toBe(2);
    expect(wireStep(0.117)).toBe(7);
  });
});
