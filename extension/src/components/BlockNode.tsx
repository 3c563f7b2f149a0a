// The one node component: renders any block from its catalog entry. It never names a
// block type; ports, params and bodies all come from the data the editor passes in.
import { memo } from "react";
import { Handle, Position, useStore, type Node, type NodeProps } from "@xyflow/react";
import type { BlockSpec, GraphErrorInfo, NodeDoc, PortSpec } from "../types";
import { summary } from "../params";

export interface BlockData extends Record<string, unknown> {
  node: NodeDoc;
  spec: BlockSpec | undefined;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** port name -> symbolic shape text, outputs only */
  shapes: Record<string, string>;
  errors: GraphErrorInfo[];
  onEnter?: (id: string, body: string) => void;
}

export type BlockFlowNode = Node<BlockData, "block">;

const zoomedOut = (s: { transform: [number, number, number] }) => s.transform[2] < 0.55;

export const shapeText = (shape: unknown[] | undefined | null) =>
  shape ? `[${shape.map((d) => (d === null ? "?" : String(d))).join(", ")}]` : "";

function PortRow({ port, side, shape, error, far }: { port: PortSpec; side: "in" | "out"; shape?: string; error?: boolean; far?: boolean }) {
  return (
    <div className={`dw-port dw-port-${side}${error ? " dw-port-error" : ""}`} title={`${port.name}: ${port.kind}${port.doc ? " - " + port.doc : ""}`}>
      <Handle
        type={side === "in" ? "target" : "source"}
        position={side === "in" ? Position.Left : Position.Right}
        id={port.name}
        className={`dw-handle dw-kind-${port.kind}${port.optional ? " dw-optional" : ""}`}
        data-port={port.name}
        data-kind={port.kind}
      />
      {far ? null : <span className="dw-port-name">{port.name}</span>}
      {shape ? <span className="dw-port-shape">{shape}</span> : null}
    </div>
  );
}

/** Zoomed out: a plain box with its handles, no rows, params or text inputs. With every
 * node on screen, the per-element cost of the full view is what limits panning. */
function FarNode({ data, selected, bad }: { data: BlockData; selected?: boolean; bad: number }) {
  const rows = Math.max(data.inputs.length, data.outputs.length, 1);
  return (
    <div className={`dw-node dw-far${selected ? " dw-selected" : ""}${bad ? " dw-has-error" : ""}`} style={{ height: 26 + rows * 18 }}>
      <div className="dw-node-title"><span className="dw-node-label">{data.node.label || data.node.id}</span>{bad ? <span className="dw-badge dw-badge-error">!</span> : null}</div>
      {data.inputs.map((p, i) => (
        <Handle key={p.name} type="target" position={Position.Left} id={p.name} className={`dw-handle dw-kind-${p.kind}`} style={{ top: 30 + i * 18 }} />
      ))}
      {data.outputs.map((p, i) => (
        <Handle key={p.name} type="source" position={Position.Right} id={p.name} className={`dw-handle dw-kind-${p.kind}`} style={{ top: 30 + i * 18 }} />
      ))}
    </div>
  );
}

function BlockNodeView({ id, data, selected }: NodeProps<BlockFlowNode>) {
  const far = useStore(zoomedOut);
  const { node, spec, inputs, outputs, shapes, errors } = data;
  if (far) return <FarNode data={data} selected={selected} bad={errors.filter((e) => e.severity === "error").length} />;
  const bad = errors.filter((e) => e.severity === "error");
  const portErr = new Set(errors.map((e) => e.port).filter(Boolean) as string[]);
  const rows = Math.max(inputs.length, outputs.length);
  const params = far || !spec ? [] : spec.params.filter((p) => p.kind !== "string" || !p.multiline).slice(0, 3);
  return (
    <div
      className={`dw-node${selected ? " dw-selected" : ""}${bad.length ? " dw-has-error" : errors.length ? " dw-has-warning" : ""}${spec ? "" : " dw-unknown"}`}
      data-node-id={id}
      data-type={node.type}
    >
      <div className="dw-node-title" title={spec?.doc ?? `unknown block type ${node.type}`}>
        <span className="dw-node-label">{node.label || node.id}</span>
        <span className="dw-node-type">{node.type}</span>
        {errors.length ? (
          <span className={`dw-badge ${bad.length ? "dw-badge-error" : "dw-badge-warning"}`} title={errors.map((e) => e.text).join("\n")}>
            {bad.length ? "!" : "?"} {errors.length}
          </span>
        ) : null}
      </div>
      <div className="dw-ports" style={{ minHeight: rows * 18 }}>
        <div className="dw-col">{inputs.map((p) => <PortRow key={p.name} port={p} side="in" error={portErr.has(p.name)} far={far} />)}</div>
        <div className="dw-col dw-col-out">
          {outputs.map((p) => <PortRow key={p.name} port={p} side="out" shape={far ? undefined : shapes[p.name]} error={portErr.has(p.name)} far={far} />)}
        </div>
      </div>
      {params.length ? (
        <div className="dw-params">
          {params.map((p) => (
            <div key={p.name} className="dw-param"><span>{p.name}</span> {summary(p, node.params[p.name])}</div>
          ))}
        </div>
      ) : null}
      {!far && spec?.bodies.length ? (
        <div className="dw-bodies">
          {spec.bodies.map((b) => (
            <button key={b} className="dw-enter nodrag" title={`open the ${b} graph`} onClick={() => data.onEnter?.(id, b)}>
              open {b} &#9656;
            </button>
          ))}
        </div>
      ) : null}
      {!far && bad.length ? <div className="dw-error-text">{bad[0].message}{bad[0].port ? ` (${bad[0].port})` : ""}</div> : null}
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
