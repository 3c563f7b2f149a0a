// A refused wire, said where it happened: next to the target port, naming both ends, with
// the one-click param fix when there is one.
import type { ShapeFix } from "../graph";
import type { EdgeDoc } from "../types";

export interface RefusalInfo {
  edge: EdgeDoc;
  reason: string;
  fix: ShapeFix | null;
  /** where to draw it, in the canvas element's pixels */
  at: { x: number; y: number };
}

export function Refusal({ info, onFix, onClose }: { info: RefusalInfo; onFix: (auto: boolean) => void; onClose: () => void }) {
  const e = info.edge;
  return (
    <div className="dw-refusal" role="alert" style={{ left: info.at.x, top: info.at.y }}
      data-target={`${e.target}.${e.target_port}`}>
      <div>Cannot connect <b>{e.source}.{e.source_port}</b> to <b>{e.target}.{e.target_port}</b>: {info.reason}</div>
      {info.fix ? (
        <button className="dw-fix nodrag" onClick={() => onFix(false)} title="change the param and connect (one undo step)">
          Fix: {info.fix.text} and connect
        </button>
      ) : null}
      {info.fix?.auto ? (
        <button className="dw-fix-auto nodrag" onClick={() => onFix(true)}
          title="the size follows whatever wire comes in, now and after rewiring (one undo step)">
          Or: {info.fix.node}.{info.fix.param}{info.fix.index === undefined ? "" : `[${info.fix.index}]`} = auto (follow the wire)
        </button>
      ) : null}
      <button className="dw-refusal-close" onClick={onClose} title="dismiss">&#215;</button>
    </div>
  );
}
