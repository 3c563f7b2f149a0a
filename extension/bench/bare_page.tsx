// The reference: bare React Flow with comparable custom nodes (3 handles, a label, a text input).
import { memo } from "react";
import { createRoot } from "react-dom/client";
import { Handle, Position, ReactFlow, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { markWhenRendered } from "./harness";

type Data = { label: string };
const Custom = memo(({ data }: NodeProps<Node<Data>>) => (
  <div style={{ padding: 6, border: "1px solid #999", borderRadius: 4, background: "#fff", width: 150, fontSize: 11 }}>
    <Handle type="target" position={Position.Left} id="a" style={{ top: "30%" }} />
    <Handle type="target" position={Position.Left} id="b" style={{ top: "70%" }} />
    <div>{data.label}</div>
    <input className="nodrag" defaultValue="1.0" style={{ width: 80 }} />
    <Handle type="source" position={Position.Right} id="out" />
  </div>
));
const nodeTypes = { custom: Custom };

const n = window.__DW_BENCH__!.n;
const cols = Math.ceil(Math.sqrt(n));
const nodes: Node<Data>[] = Array.from({ length: n }, (_, i) => ({
  id: `n${i}`, type: "custom", position: { x: (i % cols) * 220, y: Math.floor(i / cols) * 120 }, data: { label: `node ${i}` },
}));
const edges = nodes.slice(1).map((nd, i) => ({ id: `e${i}`, source: `n${i}`, sourceHandle: "out", target: nd.id, targetHandle: "a" }));

createRoot(document.getElementById("root")!).render(
  <div style={{ height: "100vh" }}>
    <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} fitView minZoom={0.05} proOptions={{ hideAttribution: true }}
      onInit={(rf) => { window.__rf = rf; }} />
  </div>,
);
markWhenRendered(n);
