// An edge with something to say while a run trains: dashed with the reason when the
// gradient-flow check found it detached, and carrying a small live plot when probed.
// Plain edges stay React Flow's default edge (a custom component on every edge costs
// frames with a thousand of them on screen).
import { Suspense, lazy, memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps } from "@xyflow/react";
import type { ProbeSeries } from "../trainingView";

const ProbePlot = lazy(() => import("../plot/ProbePlot").then((m) => ({ default: m.ProbePlot })));

export interface EdgeData extends Record<string, unknown> {
  kind?: string;
  /** why no gradient flows back along this edge (the first backward's check) */
  detached?: string;
  probe?: ProbeSeries;
}

export type MarkedFlowEdge = Edge<EdgeData, "marked">;

function MarkedEdgeView(p: EdgeProps<MarkedFlowEdge>) {
  const [path, lx, ly] = getBezierPath(p);
  const { detached, probe } = p.data ?? {};
  return (
    <>
      <BaseEdge id={p.id} path={path} style={p.style} markerEnd={p.markerEnd} interactionWidth={p.interactionWidth}
        label={p.label} labelX={lx} labelY={ly} labelStyle={p.labelStyle} labelShowBg={p.labelShowBg}
        labelBgStyle={p.labelBgStyle} labelBgPadding={p.labelBgPadding} labelBgBorderRadius={p.labelBgBorderRadius} />
      <EdgeLabelRenderer>
        {/* the reason below the wire, the plot above it: over the nodes' headers at most,
            not over their ports, statistics and errors */}
        {detached ? (
          <div className="dw-edge-note nodrag nopan" data-edge={p.id}
            style={{ transform: `translate(-50%, 0) translate(${lx}px, ${ly + 12}px)` }}>
            <div className="dw-detached" title={detached}><b>detached:</b> {detached}</div>
          </div>
        ) : null}
        {probe ? (
          <div className="dw-edge-note dw-edge-probe nodrag nopan" data-edge={p.id}
            style={{ transform: `translate(-50%, -100%) translate(${lx}px, ${ly - 14}px)` }}>
            <Suspense fallback={<div className="dw-probe-plot">probe</div>}>
              <ProbePlot series={probe} />
            </Suspense>
          </div>
        ) : null}
      </EdgeLabelRenderer>
    </>
  );
}

export const MarkedEdge = memo(MarkedEdgeView);
