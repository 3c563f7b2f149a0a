import { describe, expect, it } from "vitest";
import ELK from "elkjs/lib/elk.bundled.js";
import { positions } from "../src/layout";
import type { GraphDoc } from "../src/types";

function chain(n: number): GraphDoc {
  const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: "Add", params: {}, position: [i * 220, 0] as [number, number] }));
  const edges = nodes.slice(1).map((nd, i) => ({ source: `n${i}`, source_port: "out", target: nd.id, target_port: "a" }));
  return { nodes, edges };
}

function box(pos: Record<string, [number, number]>, w = 180, h = 80) {
  const xs = Object.values(pos).map((p) => p[0]);
  const ys = Object.values(pos).map((p) => p[1]);
  return { width: Math.max(...xs) - Math.min(...xs) + w, height: Math.max(...ys) - Math.min(...ys) + h };
}

describe("layout", () => {
  it("wraps a 200-node chain into rows near the canvas's aspect ratio", async () => {
    const pos = await positions(new ELK(), chain(200), {});
    expect(Object.keys(pos)).toHaveLength(200);
    const b = box(pos);
    // one row would be about 200 * 250 = 50,000 px wide
    expect(b.width).toBeLessThan(8000);
    expect(b.width / b.height).toBeLessThan(4);
    expect(b.width / b.height).toBeGreaterThan(0.4);
    // no two nodes overlap
    const ps = Object.values(pos);
    for (let i = 0; i < ps.length; i++) for (let j = i + 1; j < ps.length; j++) {
      expect(Math.abs(ps[i][0] - ps[j][0]) >= 180 || Math.abs(ps[i][1] - ps[j][1]) >= 80).toBe(true);
    }
  }, 60_000);

  it("keeps a short chain in one row, left to right", async () => {
    const pos = await positions(new ELK(), chain(4), {});
    expect(new Set(Object.values(pos).map((p) => p[1])).size).toBe(1);
    expect(pos.n0[0]).toBeLessThan(pos.n1[0]);
    expect(pos.n2[0]).toBeLessThan(pos.n3[0]);
  });
});
