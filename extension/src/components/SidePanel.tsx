// The column beside the canvas: the inspector of the selected block (or a hint), the
// workbench when nothing is selected on the top graph, and the live plots.
import { Suspense, lazy } from "react";
import type { Transport } from "../transport";
import type { BlockSpec, GraphDoc, GraphErrorInfo } from "../types";
import * as G from "../graph";
import type { Commit } from "../hooks/useDocument";
import { Inspector } from "./Inspector";
import { WorkbenchPanel } from "./WorkbenchPanel";

// the live panel loads when first needed
const LivePanel = lazy(() => import("./LivePanel").then((m) => ({ default: m.LivePanel })));

interface Props {
  transport: Transport;
  doc: GraphDoc;
  graph: GraphDoc;
  path: G.GraphPath;
  specs: Map<string, BlockSpec>;
  selected: string[];
  errorsAt: Map<string, GraphErrorInfo[]>;
  commit: Commit;
  /** draw the live panel (not in benchmarks and read-only views) */
  live: boolean;
}

export function SidePanel({ transport, doc, graph, path, specs, selected, errorsAt, commit, live }: Props) {
  const single = selected.length === 1 ? graph.nodes.find((n) => n.id === selected[0]) : undefined;
  return (
    <div className="dw-side">
      {single ? (
        <Inspector
          node={single}
          spec={specs.get(single.type)}
          errors={errorsAt.get(single.id) ?? []}
          onParam={(name, v) => commit((g) => G.setParam(g, single.id, name, v))}
          onLabel={(l) => commit((g) => G.setLabel(g, single.id, l))}
        />
      ) : (
        <div className="dw-inspector dw-empty">{selected.length ? `${selected.length} nodes selected` : "Select a block to edit its parameters. Drag blocks in from the palette."}</div>
      )}
      <WorkbenchPanel transport={transport} doc={doc} specs={specs} hidden={selected.length > 0 || path.length > 0}
        onTraining={(t) => { if (!path.length) commit((g) => ({ ...g, training: t })); }}
        onMark={(p, v) => { if (!path.length) commit((g) => G.setParamAt(g, p, "ablatable", v)); }} />
      {live ? (
        <Suspense fallback={<div className="dw-live">loading plots</div>}>
          <LivePanel transport={transport} selected={single ? G.nodePath(path, single.id) : null} />
        </Suspense>
      ) : null}
    </div>
  );
}
