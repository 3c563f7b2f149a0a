// What the kernel says about the document, as React state: the catalog (palette, ports,
// param forms) and the latest analysis (problems, inferred shapes, dynamic ports,
// formulas). The editor asks for a first analysis once it listens. The run's status is
// read where it is shown (useStatus.ts), not here: it changes a few times a second.
import { useEffect, useMemo, useState } from "react";
import type { Transport } from "../transport";
import type { BlockSpec, Catalog, GraphErrorInfo, KernelEvent, PortsByNode, Shapes } from "../types";
import { mark } from "../perfmarks";

export interface Analysis { errors: GraphErrorInfo[]; shapes: Shapes; ports: PortsByNode; formulas: Record<string, string[]>; ms: number }
const NO_ANALYSIS: Analysis = { errors: [], shapes: {}, ports: {}, formulas: {}, ms: 0 };

export function useKernel(transport: Transport) {
  const [catalog, setCatalog] = useState<Catalog>(() => transport.readCatalog());
  const [analysis, setAnalysis] = useState<Analysis>(NO_ANALYSIS);
  const specs = useMemo(() => new Map<string, BlockSpec>(catalog.blocks.map((b) => [b.type, b])), [catalog]);

  useEffect(() => {
    const off = transport.onCatalog(setCatalog);
    setCatalog(transport.readCatalog()); // one that came between the first render and now
    return off;
  }, [transport]);
  useEffect(() => transport.onEvent((ev: KernelEvent) => {
    if (ev.event !== "analysis") return;
    mark("dw-analysis");
    // Downstream of an error the kernel cannot infer shapes: keep showing the last known
    // ones there (the error badge says what is wrong) rather than blanking the canvas.
    const failed = ev.errors.some((e) => e.severity === "error");
    setAnalysis((a) => ({
      errors: ev.errors, ports: ev.ports, ms: ev.ms, formulas: ev.formulas ?? {},
      shapes: failed ? { ...a.shapes, ...ev.shapes } : ev.shapes,
    }));
  }), [transport]);
  // Ask for a first analysis once the editor listens for it: the view may open long after
  // the model was created, and an answer to a request sent before this effect ran is lost.
  useEffect(() => transport.send({ cmd: "validate" }), [transport]);

  return { catalog, specs, analysis };
}
