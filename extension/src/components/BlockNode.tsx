// The one node component: renders any block from its catalog entry. It never names a
// block type or category; ports, params, bodies, colours and icons all come from the data
// the editor passes in (the catalog and the kernel's analysis).
import { memo, type CSSProperties } from "react";
import { Handle, Position, useStore, type Node, type NodeProps } from "@xyflow/react";
import type { BlockSpec, CategoryStyle, GraphErrorInfo, LinkMatrix, NodeDoc, PortSpec } from "../types";
import { summary } from "../params";
import { FAR_READABLE_ZOOM, FAR_ZOOM } from "../zoom";
import { badgeParts } from "../trainingView";
import { HeatGrid } from "./HeatGrid";
import { TruthTable } from "./TruthTable";

export interface BlockData extends Record<string, unknown> {
  node: NodeDoc;
  spec: BlockSpec | undefined;
  /** the block's category: header colour and icon */
  look: CategoryStyle | undefined;
  /** port kind -> colour (one object for every node) */
  kindColours: Record<string, string>;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** port name -> symbolic shape text, outputs only */
  shapes: Record<string, string>;
  errors: GraphErrorInfo[];
  /** lines the kernel writes on this node: a formula, a vector field's equations */
  formula?: string[];
  /** a live readout of the run on this node (the Optimizer of the running phase: its lr) */
  live?: string;
  onEnter?: (id: string, body: string) => void;
  /** weights of this node that got no gradient in the run's first backward */
  noGrad?: string[];
  /** the run's newest statistics of this node (when the canvas bar's Stats is on) */
  stats?: Record<string, number | null>;
  /** the run's newest link matrix of this node (a DataflowMatrix), drawn as a heat grid */
  links?: LinkMatrix;
}

export type BlockFlowNode = Node<BlockData, "block">;

/** 0: full detail; 1: simplified (type and label); 2: too far for any text to be read
 * (zoom.ts): a box in the category's colour. One number, so a node re-renders only when
 * the zoom crosses a level. */
const detail = (s: { transform: [number, number, number] }) => {
  const z = s.transform[2];
  return z >= FAR_ZOOM ? 0 : z >= FAR_READABLE_ZOOM ? 1 : 2;
};

export const shapeText = (shape: unknown[] | undefined | null) =>
  shape ? `[${shape.map((d) => (d === null ? "?" : String(d))).join(", ")}]` : "";

const ROW = 20; // px per port row, both views: handles keep their place when the view changes
const HEAD = 26;
// the simplified node's type and label lines (styles.css) and its borders (8 px top, 1 px
// bottom, 1 px spare): the text must fit, the node has no overflow clip (styles.css .dw-far)
const FAR_TWO_LINES = 2 * 34 + 10;

function handleStyle(kind: string, colours: Record<string, string>, top?: number): CSSProperties {
  const c = colours[kind];
  return top === undefined ? (c ? { background: c } : {}) : c ? { background: c, top } : { top };
}

function PortRow({ port, side, shape, error, colours }: {
  port: PortSpec; side: "in" | "out"; shape?: string; error?: GraphErrorInfo; colours: Record<string, string>;
}) {
  return (
    <div className={`dw-port dw-port-${side}${error ? " dw-port-error" : ""}`} data-port-row={port.name}
      title={error ? error.text : `${port.name}: ${port.kind}${port.doc ? " - " + port.doc : ""}`}>
      <Handle
        type={side === "in" ? "target" : "source"}
        position={side === "in" ? Position.Left : Position.Right}
        id={port.name}
        className={`dw-handle${port.optional ? " dw-optional" : ""}`}
        style={handleStyle(port.kind, colours)}
        data-port={port.name}
        data-kind={port.kind}
      />
      <span className="dw-port-name">{port.name}</span>
      {shape ? <span className="dw-port-shape">{shape}</span> : null}
    </div>
  );
}

/** Zoomed out: one box with the block's icon, type and label in large text, and its
 * handles; further out, where no text can be read, the box filled with the category's
 * colour. With every node on screen, the per-element cost is what limits panning. */
function FarNode({ data, selected, bad, tiny }: { data: BlockData; selected?: boolean; bad: number; tiny: boolean }) {
  const rows = Math.max(data.inputs.length, data.outputs.length, 1);
  const label = data.node.label || data.node.id;
  const colour = data.look?.colour;
  return (
    <div className={`dw-node dw-far${tiny ? " dw-tiny" : ""}${selected ? " dw-selected" : ""}${bad ? " dw-has-error" : ""}`}
      style={{ height: Math.max(HEAD + 8 + rows * ROW, FAR_TWO_LINES), borderTopColor: colour, background: tiny ? colour : undefined }}
      data-type={data.node.type}>
      {tiny ? null : <div className="dw-far-type">{data.look?.icon} {data.node.type}{bad ? " !" : ""}</div>}
      {tiny || label === data.node.type.toLowerCase() ? null : <div className="dw-far-label">{label}</div>}
      {data.inputs.map((p, i) => (
        <Handle key={p.name} type="target" position={Position.Left} id={p.name} className="dw-handle"
          style={handleStyle(p.kind, data.kindColours, HEAD + 4 + i * ROW)} />
      ))}
      {data.outputs.map((p, i) => (
        <Handle key={p.name} type="source" position={Position.Right} id={p.name} className="dw-handle"
          style={handleStyle(p.kind, data.kindColours, HEAD + 4 + i * ROW)} />
      ))}
    </div>
  );
}

function BlockNodeView({ id, data, selected }: NodeProps<BlockFlowNode>) {
  const level = useStore(detail);
  const { node, spec, look, inputs, outputs, shapes, errors, formula, kindColours, noGrad, stats } = data;
  const bad = errors.filter((e) => e.severity === "error");
  if (level) return <FarNode data={data} selected={selected} bad={bad.length} tiny={level === 2} />;
  const portErr = new Map(errors.filter((e) => e.port).map((e) => [e.port as string, e]));
  const rows = Math.max(inputs.length, outputs.length);
  const multiline = (spec?.params ?? []).filter((p) => p.kind === "string" && p.multiline).map((p) => p.name);
  const views = (spec?.params ?? []).filter((p) => p.view === "truth_table");
  const params = !spec ? [] : spec.params.filter((p) => !multiline.includes(p.name) && p.kind !== "dict" && !p.view).slice(0, 3);
  const label = node.label || node.id;
  return (
    <div
      className={`dw-node${selected ? " dw-selected" : ""}${bad.length ? " dw-has-error" : errors.length ? " dw-has-warning" : ""}${spec ? "" : " dw-unknown"}${noGrad?.length ? " dw-no-grad" : ""}`}
      data-node-id={id}
      data-type={node.type}
    >
      <div className="dw-node-title" style={look ? { background: look.colour } : undefined} title={spec?.doc ?? `unknown block type ${node.type}`}>
        <span className="dw-node-icon" aria-hidden>{look?.icon ?? ""}</span>
        <span className="dw-node-label">{label}</span>
        {label !== node.type ? <span className="dw-node-type">{node.type}</span> : <span className="dw-node-type" />}
        {errors.length ? (
          <span className={`dw-badge ${bad.length ? "dw-badge-error" : "dw-badge-warning"}`} title={errors.map((e) => e.text).join("\n")}>
            {bad.length ? "!" : "?"} {errors.length}
          </span>
        ) : null}
      </div>
      <div className="dw-ports" style={{ minHeight: rows * ROW }}>
        <div className="dw-col">{inputs.map((p) => <PortRow key={p.name} port={p} side="in" error={portErr.get(p.name)} colours={kindColours} />)}</div>
        <div className="dw-col dw-col-out">
          {outputs.map((p) => <PortRow key={p.name} port={p} side="out" shape={shapes[p.name]} error={portErr.get(p.name)} colours={kindColours} />)}
        </div>
      </div>
      {formula?.length ? (
        <div className="dw-formula" data-formula>
          {formula.map((line, i) => <div key={i}>{line}</div>)}
        </div>
      ) : null}
      {data.live ? <div className="dw-node-live" data-live title="the value the running training uses now">{data.live}</div> : null}
      {params.length ? (
        <div className="dw-params">
          {params.map((p) => (
            <div key={p.name} className="dw-param"><span>{p.name}</span> {summary(p, node.params[p.name])}</div>
          ))}
        </div>
      ) : null}
      {views.map((p) => <TruthTable key={p.name} name={p.name} bits={node.params[p.name]} />)}
      {spec?.bodies.length ? (
        <div className="dw-bodies">
          {spec.bodies.map((b) => (
            <button key={b} className="dw-enter nodrag" title={`open the ${b} graph (double-click the node)`} onClick={() => data.onEnter?.(id, b)}>
              open {b} &#9656;
            </button>
          ))}
        </div>
      ) : null}
      {noGrad?.length ? (
        <div className="dw-nograd-text" title={noGrad.join("\n")}>
          <b>no gradient</b> reached {noGrad.length === 1 ? noGrad[0] : `${noGrad.length} weights (${noGrad.slice(0, 2).join(", ")}${noGrad.length > 2 ? ", ..." : ""})`}
        </div>
      ) : null}
      {data.links ? <HeatGrid matrix={data.links} /> : null}
      {stats ? (
        <div className="dw-stats" data-stats>
          {badgeParts(stats).map(([k, v]) => <span key={k} className="dw-stat"><i>{k}</i> {v}</span>)}
        </div>
      ) : null}
      {bad.length ? (
        <div className="dw-error-text" data-error-port={bad[0].port ?? ""}>
          {bad[0].port ? <b>{id}.{bad[0].port}: </b> : <b>{id}: </b>}{bad[0].message}
        </div>
      ) : null}
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
